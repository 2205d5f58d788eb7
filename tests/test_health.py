import json
import os
import subprocess
import sys

import pytest
import redis
import time_machine

from config import celery as celery_app
from config.scheduler import KEY


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager", "scheduler": "off"}


@pytest.mark.django_db
def test_healthz_pings_redis_when_configured(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert client.get("/healthz").json()["broker"] == "ok"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert client.get("/healthz").json()["broker"] == "down"


@pytest.fixture
def workers(settings):
    """Tasks go to a broker (not in-process), and a fresh Redis holds no heartbeat yet."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SCHEDULER_EXPECTED = True
    redis.Redis.from_url(settings.REDIS_URL).delete(KEY)
    return settings


@pytest.mark.django_db
def test_scheduler_is_late_until_the_beat_task_ran_then_ok_for_three_minutes(client, workers):
    assert client.get("/healthz").json()["scheduler"] == "late"  # nothing ran yet

    with time_machine.travel("2030-01-01T12:00:00Z", tick=False) as clock:
        celery_app.heartbeat.apply()  # what beat sends every minute, run as a worker would
        assert client.get("/healthz").json()["scheduler"] == "ok"
        clock.shift(179)
        assert client.get("/healthz").json()["scheduler"] == "ok"
        clock.shift(2)  # three minutes without a periodic job
        assert client.get("/healthz").json()["scheduler"] == "late"


@pytest.mark.django_db
def test_scheduler_is_off_when_no_schedule_is_expected(client, workers):
    workers.SCHEDULER_EXPECTED = False
    assert client.get("/healthz").json()["scheduler"] == "off"


@pytest.mark.django_db
def test_the_embedded_broker_keeps_its_heartbeat_beside_its_queue(client, workers, tmp_path):
    workers.REDIS_URL = ""
    workers.EMBEDDED_DIR = tmp_path
    assert client.get("/healthz").json() == {
        "database": "ok",
        "broker": "embedded",
        "scheduler": "late",
    }
    celery_app.heartbeat.apply()
    assert client.get("/healthz").json()["scheduler"] == "ok"
    assert (tmp_path / "scheduler-heartbeat").exists()


def test_the_heartbeat_is_on_the_beat_schedule_every_minute():
    entry = celery_app.app.conf.beat_schedule["scheduler-heartbeat"]
    assert (entry["task"], entry["schedule"]) == ("config.scheduler.heartbeat", 60.0)


ASK_HEALTHZ = (
    "import django; django.setup(); from django.test import Client; "
    "response = Client().get('/healthz'); print(response.status_code, response.content.decode())"
)


def test_healthz_is_503_when_the_database_is_down():
    # A real app process whose PostgreSQL is not there (nothing listens on port 1).
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/setterdesk",
        "DATABASE_CONNECT_TIMEOUT": "2",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", ASK_HEALTHZ], env=env, capture_output=True, text=True, timeout=60
    )
    status, _, body = result.stdout.strip().partition(" ")
    assert status == "503", result.stderr[-2000:]
    assert json.loads(body) == {"database": "down", "broker": "eager", "scheduler": "off"}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_secrets(missing):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_KEYS": "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE=",
        "ALLOWED_HOSTS": "example.com",
        "PATH": "/usr/bin:/bin",
    }
    env.pop(missing)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off." in result.stderr
