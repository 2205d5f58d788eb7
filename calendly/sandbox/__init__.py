"""A fake Calendly for tests, demos and end-to-end runs: see ``calendly.sandbox.server``.

(Nothing is imported here, so ``python -m calendly.sandbox.server`` runs the module only once.)
"""
