"""A host for ALB target-group health checks, which send no ``Host`` header.

Without a host Django refuses every request with ``DisallowedHost`` (400), so
a target group's health check could only pass with ``ALLOWED_HOSTS = ["*"]``.
Instead, a Host-less ALB request for exactly ``HEALTH_CHECK_PATH`` is given a
host that ``ALLOWED_HOSTS`` already allows, and is served by the project's own
view at that path. Nothing else changes: other Host-less requests still get
Django's 400, and no host is accepted that was not accepted before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django_lambda_bridge.conf import BridgeSettings


def allowed_host() -> str:
    """A literal host name that ``ALLOWED_HOSTS`` matches (``localhost`` for ``*``)."""
    from django.conf import settings

    for pattern in settings.ALLOWED_HOSTS:
        if pattern == "*":
            return "localhost"
        host = pattern[1:] if pattern.startswith(".") else pattern
        if isinstance(host, str) and host and "*" not in host:
            return host
    return "localhost"  # empty ALLOWED_HOSTS: Django allows it only under DEBUG


def health_check_host(environ: Mapping[str, Any], conf: BridgeSettings) -> str:
    """The SERVER_NAME for a Host-less ALB request: a host for the health check, else ""."""
    path = conf.HEALTH_CHECK_PATH
    if path and environ["PATH_INFO"] == path and environ["REQUEST_METHOD"] in ("GET", "HEAD"):
        return allowed_host()
    return ""
