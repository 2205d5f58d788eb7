from tests.support.fixtures import celery_broker, celery_worker, redis_server  # noqa: F401
