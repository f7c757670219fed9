"""System check for event routes, so overlaps fail ``manage.py check`` before deploy."""

from __future__ import annotations

from typing import Any

from django.core import checks


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
