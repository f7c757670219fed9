"""tests.settings plus staticfiles, for runlambda subprocesses; knobs come from the environment.

``DLB_DEBUG=1`` turns DEBUG on, ``DLB_ALLOWED_HOSTS`` (comma-separated) replaces
ALLOWED_HOSTS, and ``DLB_SQLITE`` names a database file instead of ``:memory:``.
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS

DEBUG = os.environ.get("DLB_DEBUG") == "1"
INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.staticfiles"]
STATIC_URL = "static/"
if "DLB_ALLOWED_HOSTS" in os.environ:
    ALLOWED_HOSTS = [h for h in os.environ["DLB_ALLOWED_HOSTS"].split(",") if h]
if os.environ.get("DLB_SQLITE"):
    DATABASES = {**DATABASES, "default": {**DATABASES["default"], "NAME": os.environ["DLB_SQLITE"]}}
