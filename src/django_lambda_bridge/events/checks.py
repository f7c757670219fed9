"""System checks for events: overlapping routes, and a deadline margin that leaves no
room for a batch, fail or warn in ``manage.py check`` before deploy."""

from __future__ import annotations

import logging
from typing import Any

from django.core import checks

from django_lambda_bridge.conf import BridgeSettings, get_settings
from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.events.deadline import full_batch_problem, unreadable_timeout

logger = logging.getLogger("django_lambda_bridge.events")


def check_routes(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django_lambda_bridge.events import router

    return [
        checks.Error(
            f"Ambiguous event routes: {conflict}.",
            hint="Make their filters disjoint so each event has exactly one handler; "
            "`manage.py lambda_routes` lists every route.",
            obj=conflict.second.name,
            id="django_lambda_bridge.E010",
        )
        for conflict in router.conflicts()
    ]


@checks.register()  # on import, as Django's own checks do; the app config imports us
def check_deadline(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A deadline margin that leaves no room for a second record dead-letters messages."""
    try:
        conf = get_settings()
    except ConfigurationError:
        return []  # reported by django_lambda_bridge.E001
    found: list[checks.CheckMessage] = []
    problem = full_batch_problem(conf)
    if problem is not None:
        found.append(
            checks.Warning(
                problem,
                hint="Lower DEADLINE_MARGIN_MS or DEADLINE_MARGIN_FRACTION, or raise the "
                "function timeout; see docs/events.md.",
                id="django_lambda_bridge.W011",
            )
        )
    unreadable = unreadable_timeout(conf)
    if unreadable is not None:
        found.append(
            checks.Warning(
                unreadable,
                hint="Set it to the function's Timeout, or set "
                "LAMBDA_BRIDGE['FUNCTION_TIMEOUT_SECONDS'].",
                id="django_lambda_bridge.W012",
            )
        )
    return found


def warn_at_init(conf: BridgeSettings) -> None:
    """The init-phase twin of ``check_deadline``: a warning in the function's logs."""
    for problem in (full_batch_problem(conf), unreadable_timeout(conf)):
        if problem is not None:
            logger.warning("%s", problem)
