"""System checks (``manage.py check``) for settings that break on Lambda."""

from __future__ import annotations

from typing import Any

from django.core import checks

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import ConfigurationError


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report a bad ``LAMBDA_BRIDGE`` dict at deploy time rather than at cold start."""
    try:
        BridgeSettings.load()
    except ConfigurationError as exc:
        return [checks.Error(str(exc), id="django_lambda_bridge.E001")]
    return []


def check_stage_prefix(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """FORCE_SCRIPT_NAME overrides the stage prefix we compute per request."""
    from django.conf import settings

    if getattr(settings, "FORCE_SCRIPT_NAME", None):
        return [
            checks.Warning(
                "FORCE_SCRIPT_NAME is set, so the API Gateway stage and base path found in "
                "each event are ignored when Django builds URLs.",
                hint="Remove FORCE_SCRIPT_NAME and set LAMBDA_BRIDGE['BASE_PATH'] if you use "
                "a custom domain base path mapping.",
                id="django_lambda_bridge.W001",
            )
        ]
    return []


def register() -> None:
    checks.register(check_settings)
    checks.register(check_stage_prefix)
