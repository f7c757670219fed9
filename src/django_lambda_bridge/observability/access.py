"""One log line per HTTP request and per event handler call: what ran, how it went.

Only facts chosen here are logged: method, path without its query string,
status, duration, size and the authenticated user's id for HTTP; source,
handler, outcome and duration for events. Never headers, cookies, query
strings or bodies, which carry tokens and personal data.
"""

from __future__ import annotations

import logging
from typing import Any

#: INFO, and no level of its own: the function's log level decides (Lambda's
#: ApplicationLogLevel, or Powertools' under JSON_LOGS). Below INFO a line costs one check.
logger = logging.getLogger("django_lambda_bridge.access")


def enabled() -> bool:
    """Whether a line would be written: callers skip gathering its facts when not."""
    return logger.isEnabledFor(logging.INFO)


def _emit(message: str, args: tuple[Any, ...], fields: dict[str, Any]) -> None:
    """``logger.info`` without its stack walk for the caller, which is always this module."""
    record = logger.makeRecord(
        logger.name, logging.INFO, __file__, 0, message, args, None, "access", fields
    )
    logger.handle(record)


def printable(wsgi_text: str) -> str:
    """A WSGI string (UTF-8 bytes as latin-1) as readable, single-line text.

    Control characters are escaped so a path cannot forge a log line, and text
    that cannot be encoded (lone surrogates) cannot break the log handler.
    """
    try:
        text = wsgi_text.encode("latin-1").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = wsgi_text.encode("utf-8", "backslashreplace").decode("utf-8")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def http_line(
    *,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    size: int,
    user_id: Any,
    request_id: str,
) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    method, path, request_id = printable(method), printable(path), printable(request_id)
    _emit(
        "%s %s %s %.1fms %dB user=%s request=%s",
        (method, path, status, duration_ms, size, "-" if user_id is None else user_id, request_id),
        {
            "http_method": method,
            "http_path": path,
            "http_status": status,
            "duration_ms": round(duration_ms, 3),
            "response_bytes": size,
            "user_id": user_id,
        },
    )


def event_line(*, source: str, handler: str, outcome: str, duration_ms: float) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    _emit(
        "%s %s %s %.1fms",
        (source, handler, outcome, duration_ms),
        {
            "event_source": source,
            "event_handler": handler,
            "outcome": outcome,
            "duration_ms": round(duration_ms, 3),
        },
    )
