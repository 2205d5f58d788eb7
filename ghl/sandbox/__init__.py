"""A fake GoHighLevel location (API v2) for tests and demos, in GHL's documented shapes: flat
answers with a ``traceId``, errors as ``{statusCode, message, error, traceId}``, a bearer token
and a ``Version`` header on every call.

Laid out as ``calendly.sandbox`` is, one module per job, so a third provider's fake has a model:

- ``records``: the fixed location, calendars and the shapes of GHL's records;
- ``state``: what the location holds (free times, contacts, appointments, messages, the
  webhooks GHL would send) and the changes to it;
- ``api``: the API endpoints, as plain functions of the state and a call;
- ``controls``: what a test or demo does to it (free a time, take one, script the next booking)
  and reads back;
- ``mock``: serving it to the real ``ghl.client`` through respx (``GhlSandbox().start()``), which
  is also how unreachable and timed-out calls are played.
"""
