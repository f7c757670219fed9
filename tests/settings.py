"""Settings for the library's own tests: SQLite by default, PostgreSQL beside it.

The ``postgres`` alias is filled in by the session fixture that starts a
throwaway cluster (tests/postgres.py). ``DLB_TEST_DB=postgres`` makes
PostgreSQL the default database for the whole suite.
"""

import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "tests.testapp.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "django_lambda_bridge",
    "tests.testapp",
    "tests.events.eventsapp",
    "rest_framework.authtoken",
    "tests.sampleapp",
    "django_lambda_bridge.tasks",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
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

_POSTGRES = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "bridge",
    "USER": "postgres",
    "PASSWORD": "",
    "HOST": "127.0.0.1",
    "PORT": "0",  # set by the session fixture once the cluster is up
    "TEST": {"NAME": "test_bridge"},
}
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    "postgres": _POSTGRES,
}
if os.environ.get("DLB_TEST_DB") == "postgres":
    DATABASES["default"] = {**_POSTGRES, "TEST": {"NAME": "test_bridge_default"}}
    DATABASES["postgres"] = DATABASES["default"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 2,
}

# django.tasks: in-process by default; tests/tasks point it at moto queues per test.
TASKS = {
    "default": {
        "BACKEND": "django_lambda_bridge.tasks.SQSBackend",
        "QUEUES": ["default", "other"],
        "OPTIONS": {"MODE": "immediate"},
    }
}
