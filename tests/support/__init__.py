"""Shared machinery for the tests that run the product's real moving parts.

- ``redis_server.RedisServer``: a throw-away ``redis-server`` on a free port that a test may
  stop, hang (SIGSTOP) and start again.
- ``worker.CeleryWorker``: a real ``celery -A config worker`` subprocess on that broker and on
  the test database pytest-django created; it can be stopped, SIGKILLed and restarted.
- ``broker.tasks_sent_to``: makes the test process (and the live server's thread) send tasks to
  a broker instead of running them eagerly.
- ``pg_proxy.DelayingProxy``: a TCP proxy in front of PostgreSQL that delays every answer.
- ``blocking_provider``: a provider that exists only in the tests; a worker loads it with
  ``--include`` and its mapper blocks until the test releases it.
- ``webhooks``: one entry per webhook endpoint (how to make a valid request, how to forge one),
  shared by the abuse and fault tests.
- ``fixtures``: the pytest fixtures built on these (import them into a conftest).
"""
