"""One import path for Django 6's ``django.tasks`` and the ``django-tasks`` backport.

Django 6 ships the task API; Django 5.2 needs the backport, which spells two
names differently. Everything else in this package imports from here, so it
runs unchanged on both. When both are importable, Django's own wins: that is
the one a Django 6 project's ``@task`` uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # django-stubs types django.tasks; the backport has the same shape
    from django.tasks import signals as _signals
    from django.tasks import task_backends as _task_backends
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
    from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
    from django.utils.json import normalize_json

    SOURCE: str
else:
    try:
        from django.tasks import signals as _signals
        from django.tasks import task_backends as _task_backends
        from django.tasks.backends.base import BaseTaskBackend
        from django.tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
        from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
        from django.utils.json import normalize_json

        SOURCE = "django.tasks"
    except ImportError:  # Django 5.2: the backport
        try:
            from django_tasks import signals as _signals
            from django_tasks import task_backends as _task_backends
            from django_tasks.backends.base import BaseTaskBackend
            from django_tasks.base import (
                Task,
                TaskContext,
                TaskError,
                TaskResult,
                TaskResultStatus,
            )
            from django_tasks.exceptions import InvalidTaskError as InvalidTask
            from django_tasks.exceptions import TaskResultDoesNotExist
            from django_tasks.utils import normalize_json
        except ImportError as exc:
            raise ImportError(
                "django_lambda_bridge.tasks needs Django 6's django.tasks or, on Django 5.2, "
                "the django-tasks backport: pip install 'django-lambda-bridge[tasks]'."
            ) from exc

        SOURCE = "django_tasks"

task_enqueued = _signals.task_enqueued
task_started = _signals.task_started
task_finished = _signals.task_finished


def task_backends() -> Any:
    """The project's configured backends (``TASKS``), by alias."""
    return _task_backends


__all__ = [
    "SOURCE",
    "BaseTaskBackend",
    "InvalidTask",
    "Task",
    "TaskContext",
    "TaskError",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultStatus",
    "normalize_json",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
