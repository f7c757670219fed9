"""The built-in route task messages take; kept apart so the router imports the
runner (and ``django.tasks``) only when a task message arrives."""

from __future__ import annotations

from typing import Any

from django_lambda_bridge.events.routes import Route
from django_lambda_bridge.kinds import Kind


def _run(record: Any, lambda_context: Any = None) -> None:
    from django_lambda_bridge.tasks.runner import run_record

    run_record(record, lambda_context)


_run.__qualname__ = "run_task"
_run.__module__ = "django_lambda_bridge.tasks"

#: Never atomic: a task manages its own transactions, as it would under any backend.
TASK_ROUTE = Route(
    kind=Kind.SQS, func=_run, filters=(("queue", None),), atomic=False, wants_context=True
)
