"""GET /healthz: is the database there, the broker (Redis, the embedded one, or tasks running
in-process), and are the periodic jobs running?"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from config.scheduler import scheduler_state


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # any failure means "down" to a load balancer
        return "down"


def _broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    if not settings.REDIS_URL:
        return "embedded"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "down"


def healthz(request):
    database = _database_state()
    body = {"database": database, "broker": _broker_state(), "scheduler": scheduler_state()}
    return JsonResponse(body, status=200 if database == "ok" else 503)
