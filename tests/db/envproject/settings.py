"""One Lambda execution environment's project: our backend, credentials from the secret."""

import os

SECRET_KEY = "environment-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_lambda_bridge",
    "tests.db.envproject",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.db.envproject.urls"
DATABASES = {
    "default": {
        "ENGINE": "django_lambda_bridge.db.backends.postgresql",
        "HOST": os.environ["ENV_DB_HOST"],
        "PORT": os.environ["ENV_DB_PORT"],
        "NAME": "postgres",
        # The defaults docs/operations.md recommends: one connection for the
        # environment's life, checked before each request reuses it.
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"application_name": os.environ["ENV_NAME"]},
        "LAMBDA_BRIDGE": {"SECRET_ID": os.environ["ENV_DB_SECRET"]},
    }
}
LAMBDA_BRIDGE = {"JSON_LOGS": True, "METRICS": True, "METRICS_NAMESPACE": "EnvTests"}
