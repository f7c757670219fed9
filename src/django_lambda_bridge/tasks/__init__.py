"""Background tasks on Lambda: a ``django.tasks`` backend that enqueues to SQS and
runs each task in the Lambda function that consumes the queue.

    TASKS = {"default": {"BACKEND": "django_lambda_bridge.tasks.SQSBackend",
                         "OPTIONS": {"QUEUE_URLS": {"default": "https://sqs..."}}}}

Add ``"django_lambda_bridge.tasks"`` to ``INSTALLED_APPS`` for the results table.
The backend loads on first use, so listing the app costs a cold start nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_lambda_bridge.tasks.backend import SQSBackend

__all__ = ["SQSBackend"]


def __getattr__(name: str) -> Any:
    if name == "SQSBackend":
        from django_lambda_bridge.tasks.backend import SQSBackend

        return SQSBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
