"""``manage.py check`` for task backends: what would fail at the first enqueue or in the worker."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from django_lambda_bridge.tasks.apps import APP


def backend_problems(backend: Any) -> list[checks.CheckMessage]:
    config = backend.config
    problems: list[checks.CheckMessage] = []
    where = f"TASKS[{backend.alias!r}]"
    if config.store_results and not apps.is_installed(APP):
        problems.append(
            checks.Error(
                f"{where} stores results, but {APP!r} is not in INSTALLED_APPS.",
                hint=f"Add {APP!r} to INSTALLED_APPS and migrate, or set STORE_RESULTS=False.",
                id="django_lambda_bridge.E060",
            )
        )
    if config.mode == "sqs" and not config.enqueue_on_commit:
        problems.append(
            checks.Warning(
                f"{where} sends tasks at enqueue(), before the transaction commits: a worker "
                "can run a task whose rows it cannot see yet, and a rolled-back request still "
                "sends.",
                hint="Remove ENQUEUE_ON_COMMIT=False unless no task reads what its caller wrote.",
                id="django_lambda_bridge.W061",
            )
        )
    return problems


def check_backends(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Registered by this app, because whether the framework runs ``backend.check()``
    depends on the version and on what was imported first; so that returns nothing."""
    try:
        from django_lambda_bridge.tasks.backend import SQSBackend
        from django_lambda_bridge.tasks.compat import task_backends
    except ImportError as exc:
        return [checks.Error(str(exc), id="django_lambda_bridge.E063")]
    messages: list[checks.CheckMessage] = []
    handler = task_backends()
    for alias in handler.settings:
        try:
            backend = handler[alias]
        except ImproperlyConfigured as exc:
            messages.append(checks.Error(str(exc), id="django_lambda_bridge.E064"))
            continue
        if isinstance(backend, SQSBackend):
            messages.extend(backend_problems(backend))
    return messages


def check_immediate_mode(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy`` only: in-process tasks are right locally and wrong in production."""
    try:
        from django_lambda_bridge.tasks.backend import SQSBackend
        from django_lambda_bridge.tasks.compat import task_backends
    except ImportError:
        return []  # check_backends reports it
    messages: list[checks.CheckMessage] = []
    handler = task_backends()
    for alias in handler.settings:
        try:
            backend = handler[alias]
        except ImproperlyConfigured:
            continue
        if isinstance(backend, SQSBackend) and backend.config.mode == "immediate":
            messages.append(
                checks.Warning(
                    f"TASKS[{alias!r}] runs tasks in-process after commit (MODE='immediate'): "
                    "no queue, no retries, run_after ignored.",
                    hint="Set MODE to 'sqs' (the default) and QUEUE_URLS in production.",
                    id="django_lambda_bridge.W062",
                )
            )
    return messages
