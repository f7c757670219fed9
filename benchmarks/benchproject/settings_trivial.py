"""The benchmark project with ``CommonMiddleware`` only, for the trivial endpoint."""

from benchproject.settings import *  # noqa: F403

MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
