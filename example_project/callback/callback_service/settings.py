"""Settings for the callback service (callme API, sender, sweeper), all from the environment.

The same file serves runserver, gunicorn and Lambda. A fresh checkout needs no
variable: SQLite, no queue (the first attempt runs in process after the insert
commits; retries wait for ``manage.py sweep_callbacks``). ``README.md`` lists
the variables production sets.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_float(name, default):
    return float(os.environ.get(name, str(default)))


def env_int(name, default):
    return int(os.environ.get(name, str(default)))


DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
# The fallback is for local use only: `manage.py check --deploy` flags it (security.W009).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-callback-local-only"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_lambda_bridge",
    "django_lambda_bridge.tasks",  # the task results table
    "callbacks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "callback_service.urls"
WSGI_APPLICATION = "callback_service.wsgi.application"
TEMPLATES = []

def conn_max_age():
    """DJANGO_CONN_MAX_AGE: seconds, or "none" to keep the connection for the process's life."""
    raw = os.environ.get("DJANGO_CONN_MAX_AGE", "0").strip().lower()
    return None if raw == "none" else int(raw)


DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'callback.sqlite3'}",
        conn_max_age=conn_max_age(),
        conn_health_checks=True,  # a connection that died while frozen is replaced first
    )
}
# On AWS the password is not in DATABASE_URL: it is read from the secret when a
# connection opens, and read again once if the server refuses it (a rotation).
if os.environ.get("DJANGO_DB_SECRET_ARN"):
    DATABASES["default"]["ENGINE"] = "django_lambda_bridge.db.backends.postgresql"
    DATABASES["default"]["LAMBDA_BRIDGE"] = {"SECRET_ID": os.environ["DJANGO_DB_SECRET_ARN"]}

# Read by the Lambda handler only: JSON logs and EMF metrics when the template
# asks for them (runserver and the tests keep plain logs).
LAMBDA_BRIDGE = {
    "JSON_LOGS": os.environ.get("LAMBDA_JSON_LOGS", "0") == "1",
    "METRICS": bool(os.environ.get("POWERTOOLS_METRICS_NAMESPACE")),
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

REST_FRAMEWORK = {
    # The existing clients send `Authorization: Token <key>` (DRF's token auth).
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "callbacks.pagination.CallbackCursorPagination",
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": None,
}

# The service's own settings; docs/callbacks.md explains each choice.
CALLBACK = {
    # SQS queue the sender function consumes; empty: first attempt in process after commit.
    "QUEUE_URL": os.environ.get("CALLBACK_QUEUE_URL", ""),
    # Where a dead callback's message goes (the queue's redrive DLQ); empty: logged only.
    "DLQ_URL": os.environ.get("CALLBACK_DLQ_URL", ""),
    # The EventBridge schedule (rule or Scheduler schedule) that runs the sweeper.
    "SWEEP_SCHEDULE": os.environ.get("CALLBACK_SWEEP_SCHEDULE", "callback-sweeper"),
    "MAX_ATTEMPTS": env_int("CALLBACK_MAX_ATTEMPTS", 10),
    # Full jitter: attempt n waits uniform(0, min(cap, base * 2**(n-1))) seconds.
    "BACKOFF_BASE_SECONDS": env_float("CALLBACK_BACKOFF_BASE_SECONDS", 30),
    "BACKOFF_CAP_SECONDS": env_float("CALLBACK_BACKOFF_CAP_SECONDS", 3600),
    # A whole send is cut at connect + read: keep it under half the sender function's timeout.
    "CONNECT_TIMEOUT_SECONDS": env_float("CALLBACK_CONNECT_TIMEOUT_SECONDS", 3),
    "READ_TIMEOUT_SECONDS": env_float("CALLBACK_READ_TIMEOUT_SECONDS", 10),
    "MAX_REPLY_BYTES": env_int("CALLBACK_MAX_REPLY_BYTES", 64 * 1024),
    "SNIPPET_CHARS": env_int("CALLBACK_SNIPPET_CHARS", 512),
    "MAX_PAYLOAD_BYTES": env_int("CALLBACK_MAX_PAYLOAD_BYTES", 64 * 1024),
    "SEND_CONCURRENCY": env_int("CALLBACK_SEND_CONCURRENCY", 10),
    # A claimed callback is someone's for this long; after it, the sweeper takes it back.
    "LEASE_SECONDS": env_float("CALLBACK_LEASE_SECONDS", 120),
    # A pending callback this far past due has lost its message; the sweeper re-enqueues it.
    "SWEEP_AFTER_SECONDS": env_float("CALLBACK_SWEEP_AFTER_SECONDS", 300),
    "SWEEP_LIMIT": env_int("CALLBACK_SWEEP_LIMIT", 500),
    # Circuit breaker per target origin, shared through the database.
    "BREAKER_THRESHOLD": env_int("CALLBACK_BREAKER_THRESHOLD", 5),
    "BREAKER_COOLDOWN_SECONDS": env_float("CALLBACK_BREAKER_COOLDOWN_SECONDS", 60),
    # SSRF: https only, public addresses only, unless these allow more (see docs).
    "ALLOW_HTTP": os.environ.get("CALLBACK_ALLOW_HTTP", "0") == "1",
    "ALLOWED_NETWORKS": env_list("CALLBACK_ALLOWED_NETWORKS"),
}

# Background work (callbacks/tasks.py) through django.tasks, on the callback queue the
# sender function consumes; in process after commit when there is no queue.
TASKS = {
    "default": {
        "BACKEND": "django_lambda_bridge.tasks.SQSBackend",
        "OPTIONS": (
            # Three tries, below the queue's maxReceiveCount (5) in template.yaml, so a task
            # that keeps failing is dead-lettered by the backend, with its reason.
            {"QUEUE_URLS": {"default": CALLBACK["QUEUE_URL"]}, "MAX_ATTEMPTS": 3}
            if CALLBACK["QUEUE_URL"]
            else {"MODE": "immediate"}
        ),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One handler, on the root logger: on Lambda, JSON_LOGS puts Powertools' in its place,
    # so every record comes out once, as JSON.
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"callbacks": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}
