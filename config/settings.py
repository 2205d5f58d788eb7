"""Settings, all read from the environment here and nowhere else.

Every variable has an embedded default fit for ``make run`` on a bare machine: SQLite, and
tasks on a real Celery worker whose broker is a folder of files (no server to install). With
``DEBUG`` off the app refuses to start unless the secrets are provided.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    return [item.strip() for item in env(name).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# A fixed dev key, so `make run` needs nothing; never accepted with DEBUG off.
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
_DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="  # Fernet key, dev only

SECRET_KEY = env("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or ([_DEV_FIELD_KEY] if DEBUG else [])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or (["*"] if DEBUG else [])

if not DEBUG:
    for _name, _value in (
        ("SECRET_KEY", SECRET_KEY),
        ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS),
        ("ALLOWED_HOSTS", ALLOWED_HOSTS),
    ):
        if not _value:
            raise ImproperlyConfigured(f"{_name} must be set when DEBUG is off.")

# The port `make run` / `make demo` serve on; the public address follows it unless it is set.
PORT = int(env("PORT", "8000"))
PUBLIC_BASE_URL = (env("PUBLIC_BASE_URL") or f"http://127.0.0.1:{PORT}").rstrip("/")
CALENDLY_API_BASE = env("CALENDLY_API_BASE", "https://api.calendly.com").rstrip("/")
CALENDLY_AUTH_BASE = env("CALENDLY_AUTH_BASE", "https://auth.calendly.com").rstrip("/")
CALENDLY_OAUTH_CLIENT_ID = env("CALENDLY_OAUTH_CLIENT_ID")
CALENDLY_OAUTH_CLIENT_SECRET = env("CALENDLY_OAUTH_CLIENT_SECRET")
CALENDLY_WEBHOOK_SIGNING_KEY = env("CALENDLY_WEBHOOK_SIGNING_KEY")
GHL_API_BASE = env("GHL_API_BASE", "https://services.leadconnectorhq.com").rstrip("/")
# Messaging (README "Messaging"). SMTP hosts and outbound-webhook URLs that resolve to a loopback,
# private or link-local address are refused unless this is on (local development and tests).
ALLOW_PRIVATE_NETWORK_TARGETS = env_bool("ALLOW_PRIVATE_NETWORK_TARGETS", DEBUG)
# Tests only: with no connected channel, record messages as sent instead of ``not_sent``.
MESSAGING_RECORD_ONLY = env_bool("MESSAGING_RECORD_ONLY", False)
GHL_WEBHOOK_PUBLIC_KEY = env(
    "GHL_WEBHOOK_PUBLIC_KEY",
    "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=",
)
GHL_API_VERSION_CALENDARS = env("GHL_API_VERSION_CALENDARS", "2021-04-15")
GHL_API_VERSION_CONTACTS = env("GHL_API_VERSION_CONTACTS", "2021-07-28")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "workspaces",
    "followups",
    "integrations",
    "booking",
    "ghl",
    "calendly",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspaces.context.workspace_nav",
            ],
            # {% load tz %} that never fails on a stored time at the calendar's edge.
            "libraries": {"tz": "workspaces.templatetags.safe_tz"},
        },
    },
]

# Kept-open connections pay off under gunicorn's few long-lived workers; the development server
# opens a thread (so a connection) per request, and keeping those open exhausted PostgreSQL's
# max_connections: 0 (close after each request) under DEBUG.
DATABASE_CONN_MAX_AGE = int(env("DATABASE_CONN_MAX_AGE", "0" if DEBUG else "60"))
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=DATABASE_CONN_MAX_AGE,
        conn_health_checks=DATABASE_CONN_MAX_AGE > 0,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A webhook must answer before its provider gives up (Calendly waits 10 s): a database that
# takes a connection and never answers fails after DATABASE_CONNECT_TIMEOUT seconds, and storing
# a delivery may take WEBHOOK_STORE_TIMEOUT_MS (a lock held by a migration, an overloaded
# server), so the view can answer "retry" in time (tests/faults/test_slow_database.py).
DATABASE_CONNECT_TIMEOUT = int(env("DATABASE_CONNECT_TIMEOUT", "5"))
WEBHOOK_STORE_TIMEOUT_MS = int(env("WEBHOOK_STORE_TIMEOUT_MS", "3000"))
# "notify" (on PostgreSQL with a real worker): a stored delivery is announced by NOTIFY in its
# own insert, and the dispatcher each Celery worker runs (one elected per deployment; or `manage.py
# dispatch_deliveries`) enqueues it: no broker call on the request path. "enqueue": the webhook
# publishes to the broker after commit, as SQLite and eager tasks always do (integrations.handoff).
WEBHOOK_HANDOFF = env("WEBHOOK_HANDOFF", "notify")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", DATABASE_CONNECT_TIMEOUT
    )

# SQLite (the embedded default) serves a web server and a worker at once: WAL lets readers go on
# while one writer writes; every transaction takes the write lock when it begins (IMMEDIATE), so
# two writers queue up on the busy timeout instead of one failing with "database is locked"
# when it upgrades a read lock mid-transaction (tests/embedded/test_sqlite_writers.py).
SQLITE_BUSY_TIMEOUT_S = int(env("SQLITE_BUSY_TIMEOUT", "30"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=SQLITE_BUSY_TIMEOUT_S,
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
    # SQLite has no deferrable unique constraints: the follow-up steps' order is then kept by
    # their service's lock alone. Known and accepted for the embedded default; the warning
    # would read as an error at every `make run`.
    SILENCED_SYSTEM_CHECKS = ["models.W038"]
else:
    SILENCED_SYSTEM_CHECKS = []

# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "workspaces.auth.EmailBackend"]
SESSION_ENGINE = "workspaces.sessions"  # the database store, refusing keys no session could have
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# E-mail: EMAIL_URL (dj-email-url), e.g. smtp://user:pass@mail.example:587/?tls=True. Without
# it, development prints mail to the console; production refuses to start, because the console
# would print working set-password links into the logs.
EMAIL_URL = env("EMAIL_URL")
EMAIL_TIMEOUT = 10  # seconds: a mail server that hangs holds a worker, never a request
if EMAIL_URL:
    _email = dj_email_url.parse(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
    EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or EMAIL_TIMEOUT  # ?timeout=… in the URL
elif DEBUG:
    EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
else:
    raise ImproperlyConfigured(
        "EMAIL_URL must be set when DEBUG is off (e.g. smtp://user:pass@mail.example:587/?tls=True)."
    )
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "no-reply@setterdesk.local")
# Account e-mail (invitations, password resets) per address and kind, within an hour.
ACCOUNT_EMAIL_HOURLY_LIMIT = int(env("ACCOUNT_EMAIL_HOURLY_LIMIT", "3"))

# Throttling log-ins (django-axes): after AXES_FAILURE_LIMIT failures for one account, or from
# one client address, log-in answers 429 until the cool-off ends or an admin deletes the
# "Access attempts" rows in Django admin.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "workspaces.auth.lockout_username"
AXES_LOCKOUT_CALLABLE = "workspaces.auth.locked_out"
AXES_VERBOSE = False
# Behind a proxy every request comes from the proxy's address: with TRUST_X_FORWARDED_FOR=1 the
# address the proxy appended to X-Forwarded-For (the last one) is the client's.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
AXES_CLIENT_IP_CALLABLE = "workspaces.auth.client_address"

# Production defaults: secure with DEBUG off and nothing else set; each has its own variable to
# relax it (README, Security).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Only a TLS-terminating proxy that sets X-Forwarded-Proto itself may be believed; anyone else
# could claim "https" and skip the redirect.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts only from our own files (static/app.js does
# what inline handlers did); inline styles stay allowed (style attributes, htmx's indicator
# style, Swagger UI's page).
_CSP = {
    # Providers' deliveries get JSON no browser renders: building the policy for each of them is
    # only CPU on the busiest path.
    "EXCLUDE_URL_PREFIXES": ["/webhooks/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF, CALENDLY_AUTH_BASE],
        "frame-ancestors": [NONE],
    },
}
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Production serves static files itself (WhiteNoise): compressed, with hashed names cached for
# ever; `collectstatic` is a deploy step. Development serves them from the app folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In development WhiteNoise finds files where they are written, as runserver does.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB: the provisioning API's limit

# Celery. With REDIS_URL, Redis is the broker. Without it (the embedded default), the broker is a
# folder of message files in EMBEDDED_DIR (config/embedded_broker.py), which needs no server:
# `make run` starts a real worker with beat on it, so the same paths as production run
# (after-commit enqueue, late acks, retries, the sweep). CELERY_TASK_ALWAYS_EAGER=1 runs tasks
# in-process instead (the test suite does).
REDIS_URL = env("REDIS_URL")
EMBEDDED_DIR = Path(env("EMBEDDED_DIR") or BASE_DIR / "var")
CELERY_BROKER_URL = REDIS_URL or "embedded://localhost/"
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # Without a socket timeout a publish to a Redis that is stuck (up, but not answering)
        # waits forever, and so does the webhook request that enqueued it. With it, a publish
        # gives up after about 4 s (two tries); the inbox logs it and the sweep sends the
        # delivery later (tests/faults/test_broker_down.py).
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
    }
else:
    _BROKER_DIR = str(EMBEDDED_DIR / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _BROKER_DIR,
        "data_folder_out": _BROKER_DIR,
        "control_folder": str(EMBEDDED_DIR / "broker-control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(EMBEDDED_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "config.scheduler:BeatScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Whether a beat schedule runs beside the workers, so /healthz can say "off" rather than "late"
# for a deployment that runs none.
SCHEDULER_EXPECTED = env_bool("SCHEDULER_EXPECTED", True)
CELERY_TASK_EAGER_PROPAGATES = True
# Workers keep their database connection between tasks, as web requests do (CONN_MAX_AGE),
# instead of Celery's default of a new one per task (~3 ms each here); config/celery.py closes
# one that broke or aged, the way Django does around a request.
CELERY_DB_REUSE_MAX = 1000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework_api_key.permissions.HasAPIKey"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "workspaces.api.pagination.PageSizePagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"

SPECTACULAR_SETTINGS = {
    "TITLE": "Setterdesk API",
    "DESCRIPTION": "Admin provisioning and workspace APIs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema is generated and validated by the test suite; `check --deploy` stays about
    # the deployment.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}
# workspaces.templatetags.safe_tz replaces Django's tz library on purpose (see TEMPLATES).
SILENCED_SYSTEM_CHECKS += ["templates.W003"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
