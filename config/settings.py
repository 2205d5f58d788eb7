"""Settings, all read from the environment here and nowhere else.

Every variable has an embedded default fit for ``make run`` on a bare machine (SQLite, tasks run
in-process). With ``DEBUG`` off the app refuses to start unless the secrets are provided.
"""

import os
from pathlib import Path

import dj_database_url
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

PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CALENDLY_API_BASE = env("CALENDLY_API_BASE", "https://api.calendly.com").rstrip("/")
CALENDLY_AUTH_BASE = env("CALENDLY_AUTH_BASE", "https://auth.calendly.com").rstrip("/")
CALENDLY_OAUTH_CLIENT_ID = env("CALENDLY_OAUTH_CLIENT_ID")
CALENDLY_OAUTH_CLIENT_SECRET = env("CALENDLY_OAUTH_CLIENT_SECRET")
CALENDLY_WEBHOOK_SIGNING_KEY = env("CALENDLY_WEBHOOK_SIGNING_KEY")
GHL_API_BASE = env("GHL_API_BASE", "https://services.leadconnectorhq.com").rstrip("/")
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
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A webhook must answer before its provider gives up (Calendly waits 10 s): a database that
# takes a connection and never answers fails after DATABASE_CONNECT_TIMEOUT seconds, and storing
# a delivery may take WEBHOOK_STORE_TIMEOUT_MS (a lock held by a migration, an overloaded
# server), so the view can answer "retry" in time (tests/faults/test_slow_database.py).
DATABASE_CONNECT_TIMEOUT = int(env("DATABASE_CONNECT_TIMEOUT", "5"))
WEBHOOK_STORE_TIMEOUT_MS = int(env("WEBHOOK_STORE_TIMEOUT_MS", "3000"))
# "notify": a stored delivery is announced by NOTIFY in its own insert and `manage.py
# dispatch_deliveries` enqueues it (no broker call on the request path); "enqueue": the webhook
# publishes to the broker after commit (integrations.handoff).
WEBHOOK_HANDOFF = env("WEBHOOK_HANDOFF", "enqueue")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", DATABASE_CONNECT_TIMEOUT
    )

AUTHENTICATION_BACKENDS = ["workspaces.auth.EmailBackend"]
SESSION_ENGINE = "workspaces.sessions"  # the database store, refusing keys no session could have
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "no-reply@setterdesk.local")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB: the provisioning API's limit

# Celery: with no broker, tasks run in-process (make run); with REDIS_URL, on workers.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
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
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
