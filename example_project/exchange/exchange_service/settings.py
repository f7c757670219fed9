"""Settings for the exchange service, all from environment variables.

The same file serves runserver, gunicorn and Lambda: nothing here knows where
it runs. A fresh checkout needs no variable at all (SQLite, no AWS, work done in
process after each request); ``README.md`` lists the ones production sets.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
# The fallback is for local use only: `manage.py check --deploy` flags it (security.W009).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-exchange-local-only"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_lambda_bridge",
    "django_lambda_bridge.tasks",  # the task results table
    "messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "exchange_service.urls"
WSGI_APPLICATION = "exchange_service.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

def conn_max_age():
    """DJANGO_CONN_MAX_AGE: seconds, or "none" to keep the connection for the process's life."""
    raw = os.environ.get("DJANGO_CONN_MAX_AGE", "0").strip().lower()
    return None if raw == "none" else int(raw)


DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'exchange.sqlite3'}",
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

# Throttle counters live in the cache. The default is per process (per Lambda
# environment); set DJANGO_CACHE_TABLE (and run createcachetable) to share them.
if os.environ.get("DJANGO_CACHE_TABLE"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": os.environ["DJANGO_CACHE_TABLE"],
        }
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are served by WhiteNoise from the app directories (no collectstatic
# step, so a plain `sam build` artifact carries them); a relative STATIC_URL keeps
# the API Gateway stage in every link. Set DJANGO_STATIC_ROOT only to collectstatic.
STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Attachments travel inside the Lambda event: API Gateway and Lambda cap a
# request at 6-10 MB, and base64 adds a third, so 4 MB is the safe default.
ATTACHMENT_MAX_BYTES = int(os.environ.get("EXCHANGE_ATTACHMENT_MAX_BYTES", str(4 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 64 * 1024

AUTHENTICATION_CLASSES = {
    # What the existing clients use: a JWT from /api/v1/auth/token/.
    "jwt": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Behind an API Gateway JWT or Lambda authorizer: the identity is the
    # authorizer's principal, read from requestContext only.
    "authorizer": [
        "django_lambda_bridge.http.drf.AuthorizerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
EXCHANGE_AUTH = os.environ.get("EXCHANGE_AUTH", "jwt")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": AUTHENTICATION_CLASSES[EXCHANGE_AUTH],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "messaging.pagination.MessageCursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": ["messaging.throttling.PartnerRateThrottle"],
    "EXCEPTION_HANDLER": "messaging.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=int(os.environ.get("EXCHANGE_ACCESS_TOKEN_MINUTES", "15"))
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Exchange API",
    "DESCRIPTION": "Exchange-message workflows between partners.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"MessageStateEnum": "messaging.states.State"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "messaging.schema.servers_from_request",
    ],
}

# The exchange's own settings. Unset values mean "no AWS": the workflow runs in
# process after each commit and events go to the log (see README.md).
EXCHANGE = {
    # SQS queue that the worker function consumes (the work is done in process when empty).
    "WORK_QUEUE_URL": os.environ.get("EXCHANGE_WORK_QUEUE_URL", ""),
    # EventBridge bus for MessageDelivered (logged when empty).
    "EVENT_BUS_NAME": os.environ.get("EXCHANGE_EVENT_BUS_NAME", ""),
    "EVENT_SOURCE": os.environ.get("EXCHANGE_EVENT_SOURCE", "exchange.messages"),
    # The callme API that turns a delivery into a partner callback (skipped when empty).
    "CALLME_URL": os.environ.get("EXCHANGE_CALLME_URL", ""),
    "CALLME_TOKEN": os.environ.get("EXCHANGE_CALLME_TOKEN", ""),
    "CALLME_TIMEOUT_SECONDS": float(os.environ.get("EXCHANGE_CALLME_TIMEOUT_SECONDS", "5")),
    "THROTTLE_RATE": os.environ.get("EXCHANGE_THROTTLE_RATE", "120/min"),
    "MAX_PAYLOAD_BYTES": int(os.environ.get("EXCHANGE_MAX_PAYLOAD_BYTES", str(256 * 1024))),
}

# Background work (messaging/tasks.py) through django.tasks: on the work queue when
# there is one, in process after each commit when not (runserver, the demo).
TASKS = {
    "default": {
        "BACKEND": "django_lambda_bridge.tasks.SQSBackend",
        "OPTIONS": (
            {"QUEUE_URLS": {"default": EXCHANGE["WORK_QUEUE_URL"]}}
            if EXCHANGE["WORK_QUEUE_URL"]
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
    "loggers": {"messaging": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}
