"""Production defaults: with DEBUG=0 and only the four required variables, `check --deploy` is
silent, cookies are Secure, HSTS and the HTTPS redirect are on, a CSP is sent, and gunicorn
serves compressed static files with hashed names. Each runs in its own process, as deployed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.security.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def production_env(**extra) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "DATABASE_URL", "PYTHONPATH")
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="k" + Fernet.generate_key().decode() + "-production-secret-xyz",
        ALLOWED_HOSTS="desk.example,127.0.0.1",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        EMAIL_URL="smtp://mailer:pass@mail.example:587/?tls=True",
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_in(env, *names) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}, default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_is_silent_with_only_the_required_variables():
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_without_email_url_production_refuses_to_start():
    done = manage("check", env=production_env(EMAIL_URL=None))

    assert done.returncode != 0
    assert "EMAIL_URL must be set when DEBUG is off" in done.stderr


def test_email_url_configures_smtp():
    values = settings_in(
        production_env(), "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS"
    )
    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example",
        "EMAIL_PORT": 587,
        "EMAIL_USE_TLS": True,
    }


def test_each_default_is_relaxed_by_its_own_variable_and_conn_max_age_follows_debug():
    names = (
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "DATABASE_CONN_MAX_AGE",
    )
    strict = settings_in(production_env(), *names)
    relaxed = settings_in(
        production_env(
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_SSL_REDIRECT="0",
            SECURE_HSTS_SECONDS="0",
            TRUST_X_FORWARDED_PROTO="1",
            DATABASE_CONN_MAX_AGE="5",
        ),
        *names,
    )
    development = settings_in({**production_env(), "DEBUG": "1"}, "DATABASE_CONN_MAX_AGE")

    assert strict == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": None,
        "DATABASE_CONN_MAX_AGE": 60,
    }
    assert relaxed == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "DATABASE_CONN_MAX_AGE": 5,
    }
    assert development == {"DATABASE_CONN_MAX_AGE": 0}


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """The app as deployed: collectstatic, then gunicorn with DEBUG=0 behind a TLS proxy."""
    static_root = tmp_path_factory.mktemp("static")
    env = production_env(STATIC_ROOT=str(static_root), TRUST_X_FORWARDED_PROTO="1")
    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=10)


HTTPS = {"X-Forwarded-Proto": "https", "Host": "desk.example"}


def test_gunicorn_serves_hashed_compressed_static_files(gunicorn):
    page = httpx.get(f"{gunicorn}/login/", headers=HTTPS)
    css, js = (
        re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', page.text),
        re.search(r'src="(/static/app\.[0-9a-f]{12}\.js)"', page.text),
    )
    assert page.status_code == 200 and css and js

    styles = httpx.get(
        f"{gunicorn}{css.group(1)}", headers={**HTTPS, "Accept-Encoding": "gzip"}, timeout=5
    )
    assert styles.status_code == 200
    assert styles.headers["Content-Type"].startswith("text/css")
    assert styles.headers["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in styles.headers["Cache-Control"]
    assert "{" in styles.text  # httpx undid the gzip: it is the stylesheet


def test_production_headers_cookies_and_redirect(gunicorn):
    page = httpx.get(f"{gunicorn}/login/", headers=HTTPS)
    plain = httpx.get(f"{gunicorn}/login/", headers={"Host": "desk.example"})
    health = httpx.get(f"{gunicorn}/healthz", headers={"Host": "desk.example"})

    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    cookie = page.headers["Set-Cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    assert health.status_code in (200, 503)  # a load balancer's plain-HTTP probe is answered


def test_x_forwarded_proto_is_ignored_unless_trusted():
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/login/', HTTP_X_FORWARDED_PROTO='https', HTTP_HOST='desk.example'); "
        "print(r.status_code)"
    )
    untrusted = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**production_env(), "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert untrusted.stdout.strip().splitlines()[-1] == "301"
