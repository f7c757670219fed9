"""System checks (``manage.py check``) for settings that break on Lambda."""

from __future__ import annotations

from typing import Any

from django.core import checks

from django_lambda_bridge.conf import BridgeSettings, get_settings
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


def check_proxy(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A configured proxy needs a long secret and a replay cache every process shares."""
    try:
        conf = get_settings()
    except ConfigurationError:
        return []  # reported by check_settings
    from django_lambda_bridge.events.proxy_config import proxy_mounted, proxy_problems

    problems = proxy_problems(conf)
    if not problems:
        return []
    try:
        mounted = proxy_mounted()
    except Exception:  # a broken URLconf is Django's own check to report; assume the worst
        mounted = True
    messages: list[checks.CheckMessage] = []
    for problem in problems:
        # A replay cache matters only where the view is served; a short secret always does.
        if not mounted and problem.id != "django_lambda_bridge.E030":
            continue
        kind = checks.Error if problem.error else checks.Warning
        messages.append(kind(problem.message, hint=problem.hint, id=problem.id))
    return messages


#: The ENGINE of our PostgreSQL backend (``db.backends.postgresql``).
BRIDGE_ENGINE = "django_lambda_bridge.db.backends.postgresql"


def check_database_options(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A bad ``DATABASES[alias]['LAMBDA_BRIDGE']`` fails here, not at the first query."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from django_lambda_bridge.db.options import database_options

    found: list[checks.CheckMessage] = []
    for alias, db in settings.DATABASES.items():
        if db.get("ENGINE") != BRIDGE_ENGINE:
            if db.get("LAMBDA_BRIDGE"):
                found.append(
                    checks.Error(
                        f"DATABASES[{alias!r}] has a LAMBDA_BRIDGE key, which only the "
                        f"{BRIDGE_ENGINE} backend reads: its ENGINE ({db.get('ENGINE')!r}) "
                        "ignores it.",
                        hint=f"Set ENGINE to {BRIDGE_ENGINE!r}.",
                        id="django_lambda_bridge.E050",
                    )
                )
            continue
        try:
            database_options(alias, db)
        except ImproperlyConfigured as exc:
            found.append(checks.Error(str(exc), id="django_lambda_bridge.E050"))
    return found


def register() -> None:
    checks.register(check_settings)
    checks.register(check_database_options, checks.Tags.database)
    checks.register(check_stage_prefix)
    checks.register(check_proxy, checks.Tags.security, checks.Tags.urls)
