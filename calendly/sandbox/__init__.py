"""A fake Calendly for tests, demos and end-to-end runs (stdlib only), in Calendly's documented
shapes: resources in ``resource``, lists in ``collection`` + ``pagination``, errors as
``title``/``message``/``details``.

One module per job, the layout every provider fake here follows (``ghl.sandbox`` too):

- ``records``: the fixed people and event types and the shapes of Calendly's resources;
- ``state``: what the sandbox knows and the changes to it (book, cancel, reschedule);
  ``organization``: its members, roles, the team's event types and who hosts what;
- ``errors``, ``inputs``: Calendly's error answers and the checks of what callers send;
- ``api``, ``organizations``, ``subscriptions``, ``oauth``: the API endpoints;
- ``controls``: the test and demo controls under ``/_sandbox/``;
- ``pages``, ``templates``: the pages a lead uses (booking, cancel, reschedule), plain HTML;
- ``http``: routes, the request handler, paging; ``server``: the server, its webhook
  deliveries, ``start_sandbox()`` and ``python -m calendly.sandbox.server``.

(Nothing is imported here, so ``python -m calendly.sandbox.server`` runs the module only once.)
"""
