"""Reading and writing the results table, and turning a row into a ``TaskResult``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from django_lambda_bridge.tasks.apps import APP
from django_lambda_bridge.tasks.compat import (
    Task,
    TaskError,
    TaskResult,
    TaskResultDoesNotExist,
    TaskResultStatus,
)
from django_lambda_bridge.tasks.envelope import Envelope

#: Tracebacks are kept for reading, not for storing a whole log: the tail says most.
TRACEBACK_CHARS = 8_000


def require_app(alias: str) -> None:
    if not apps.is_installed(APP):
        raise ImproperlyConfigured(
            f"TASKS[{alias!r}] stores results (STORE_RESULTS is True by default), which needs "
            f"{APP!r} in INSTALLED_APPS and `manage.py migrate`; or set "
            f"TASKS[{alias!r}]['OPTIONS']['STORE_RESULTS'] = False."
        )


def model() -> Any:
    from django_lambda_bridge.tasks.models import TaskRecord

    return TaskRecord


def error_entry(exc: BaseException, traceback: str) -> dict[str, str]:
    kind = type(exc)
    return {
        "exception_class_path": f"{kind.__module__}.{kind.__qualname__}",
        "traceback": traceback[-TRACEBACK_CHARS:],
    }


def load_task(path: str) -> Any:
    """The ``Task`` object at ``path``; ``ValueError`` if it is not one."""
    try:
        found = import_string(path)
    except ImportError as exc:
        raise ValueError(f"{path!r} cannot be imported: {exc}") from None
    if not isinstance(found, Task):
        raise ValueError(f"{path!r} is a {type(found).__name__}, not a task (use @task)")
    return found


def to_result(row: Any, task: Any | None = None) -> Any:
    """A ``TaskResult`` as ``django.tasks`` defines it, from a row."""
    if task is None:
        try:
            task = load_task(row.task_path)
        except ValueError as exc:
            raise TaskResultDoesNotExist(
                f"Task result {row.id} is for {exc}; this code cannot read it."
            ) from None
    task = task.using(priority=row.priority, queue_name=row.queue_name, run_after=row.run_after)
    result: Any = TaskResult(
        task=task,
        id=row.id,
        status=TaskResultStatus(row.status),
        enqueued_at=row.enqueued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        last_attempted_at=row.last_attempted_at,
        args=list(row.args),
        kwargs=dict(row.kwargs),
        backend=row.backend,
        errors=[TaskError(**e) for e in row.errors],
        worker_ids=list(row.worker_ids),
    )
    if row.status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", row.return_value)
    return result


def row_fields(envelope: Envelope) -> dict[str, Any]:
    """The columns a new row takes from a task's message."""
    return {
        "task_path": envelope.task,
        "backend": envelope.backend,
        "queue_name": envelope.queue_name,
        "priority": envelope.priority,
        "args": envelope.args,
        "kwargs": envelope.kwargs,
        "enqueued_at": envelope.enqueued_at,
        "run_after": envelope.run_after,
    }


def envelope_of(row: Any) -> Envelope:
    """The message a row was enqueued with (``requeue_tasks`` sends it again)."""
    return Envelope(
        id=row.id,
        task=row.task_path,
        backend=row.backend,
        queue_name=row.queue_name,
        priority=row.priority,
        args=list(row.args),
        kwargs=dict(row.kwargs),
        enqueued_at=row.enqueued_at,
        run_after=row.run_after,
    )


def read(database: str, result_id: str) -> Any:
    try:
        return model().objects.using(database).get(pk=result_id)
    except model().DoesNotExist:
        raise TaskResultDoesNotExist(f"No task result {result_id!r}.") from None


def finished_before(database: str, cutoff: datetime, statuses: list[str]) -> Any:
    return model().objects.using(database).filter(status__in=statuses, finished_at__lt=cutoff)


def task_databases() -> list[str]:
    """The databases the project's SQSBackends keep results in (``OPTIONS["DATABASE"]``)."""
    from django_lambda_bridge.tasks.backend import SQSBackend
    from django_lambda_bridge.tasks.compat import task_backends

    handler = task_backends()
    found = []
    for alias in handler.settings:
        backend = handler[alias]
        if isinstance(backend, SQSBackend) and backend.config.store_results:
            found.append(backend.config.database)
    return sorted(set(found)) or ["default"]
