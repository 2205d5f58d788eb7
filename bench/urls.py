"""The product's URLs, plus the two views the webhook is compared with. Mounted only by
``bench.settings`` (the benchmark's own settings), never by ``config.settings``."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bench import BARE_PATH, FLOOR_TABLE, INSERT_PATH
from config.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def bare(request):
    """Only answers 200: the floor of what a request through this server and Django costs."""
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
def insert(request):
    """What any store-then-acknowledge endpoint must do, and nothing else: one INSERT of the raw
    body into a plain table, committed (autocommit: the statement is its own transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s)", [request.body])  # noqa: S608
    return HttpResponse(b"ok", content_type="text/plain")


def create_floor_table() -> None:
    """The insert floor's table (bench/webhook_ingest.py makes it after migrating)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, "
            "received_at timestamptz NOT NULL DEFAULT now(), body bytea NOT NULL)"
        )


urlpatterns = [
    path(BARE_PATH, bare, name="bench_bare"),
    path(INSERT_PATH, insert, name="bench_insert"),
    *product_urlpatterns,
]
