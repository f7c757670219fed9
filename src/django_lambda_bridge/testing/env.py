"""The environment variables of the test switch, read by pytest and ``manage.py test`` alike.

A leaf module (standard library only) so the pytest plugin can read them
without importing Django. ``apps.py`` spells ``DJANGO_LAMBDA_EVENTS`` itself
because production code must not import ``testing``.
"""

from __future__ import annotations

import os

ENV_EVENTS = "DJANGO_LAMBDA_EVENTS"
ENV_STAGE = "DJANGO_LAMBDA_STAGE"
ENV_HANDLER = "DJANGO_LAMBDA_HANDLER"
ENV_BINARY_MEDIA_TYPES = "DJANGO_LAMBDA_BINARY_MEDIA_TYPES"
ENV_STRICT = "DJANGO_LAMBDA_STRICT"


def strict_from_env() -> bool:
    """``$DJANGO_LAMBDA_STRICT`` set to a true value (``1``, ``true``, ``yes``, ``on``)."""
    return os.environ.get(ENV_STRICT, "").strip().lower() in ("1", "true", "yes", "on")
