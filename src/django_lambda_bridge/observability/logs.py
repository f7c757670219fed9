"""Powertools Logger JSON for every log record of the process, with secrets kept out.

A handler with Powertools' JSON formatter replaces the root logger's handlers (the Lambda
runtime's plain-text one), so Django's, the library's and the project's own
``logging.getLogger(__name__)`` records all come out as one JSON object per
line, each with the invocation's Lambda context, ``cold_start`` and
``correlation_id``. Imported only when ``JSON_LOGS`` is on.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

#: Extra keys whose values are credentials or personal data, whoever logs them.
SECRET_KEY_NAMES = re.compile(
    r"authori[sz]ation|cookie|passw|secret|token|api[-_]?key|credential|session", re.IGNORECASE
)
REDACTED = "[redacted]"


class SafeJsonFormatter(LambdaPowertoolsFormatter):
    """Powertools' formatter, minus what must never reach CloudWatch.

    Django logs request errors with ``extra={"request": request}``, which
    would be serialised through ``str()`` with its query string; it becomes the
    method and the path. Extra keys named like credentials are redacted.
    """

    def serialize(self, log: Any) -> str:
        return super().serialize(scrub(log))


def scrub(log: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in log.items():
        if key == "request" and hasattr(value, "method") and hasattr(value, "path"):
            clean[key] = f"{value.method} {value.path}"
        elif key not in _FORMAT_KEYS and SECRET_KEY_NAMES.search(key):
            clean[key] = REDACTED
        else:
            clean[key] = value
    return clean


#: Keys the formatter itself writes; never redacted whatever their names.
_FORMAT_KEYS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "exception",
        "exception_name",
        "stack_trace",
        "xray_trace_id",
        "correlation_id",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "sampling_rate",
    }
)


def install_json_logs(service: str) -> SafeJsonFormatter:
    """Make a Powertools-formatted handler the root logger's only one; return its formatter.

    Powertools' ``Logger`` class is not used: it adds its handler to the logger named
    after the service too, so a project logger of that name ("callbacks") would write
    every record twice.
    """
    formatter = SafeJsonFormatter()
    formatter.append_keys(service=service)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(log_level())
    return formatter


def log_level() -> str:
    """Powertools' own rule: ``POWERTOOLS_LOG_LEVEL``, else the function's, else INFO."""
    for name in ("POWERTOOLS_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"):
        value = os.environ.get(name, "").strip().upper()
        if value in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            return value
        if value == "WARN":
            return "WARNING"
        if value == "FATAL":
            return "CRITICAL"
    return "INFO"


def context_keys(context: Any, *, cold_start: bool, correlation_id: str) -> dict[str, Any]:
    """The keys Powertools' ``inject_lambda_context`` adds, plus the correlation id."""
    return {
        "function_name": getattr(context, "function_name", None),
        "function_memory_size": getattr(context, "memory_limit_in_mb", None),
        "function_arn": getattr(context, "invoked_function_arn", None),
        "function_request_id": getattr(context, "aws_request_id", None),
        "cold_start": cold_start,
        "correlation_id": correlation_id,
    }
