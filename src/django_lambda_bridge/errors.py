"""One exception hierarchy, so callers can catch everything we raise with one clause."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class BridgeError(Exception):
    """Root of every error django-lambda-bridge raises on purpose."""


class ConfigurationError(BridgeError):
    """The ``LAMBDA_BRIDGE`` settings or ``make_handler`` options are wrong."""


class EventError(BridgeError):
    """An event could not be handled; the message names what was wrong."""


class MalformedEventError(EventError, ValueError):
    """An event of a known kind lacks a key or has a value of the wrong type."""


class UnknownEventError(EventError):
    """An event matches no shape we know."""


class UnroutableEventError(EventError):
    """A known non-HTTP event arrived but nothing is set up to handle it."""


class CommandRefusedError(EventError):
    """A ``{"manage": ...}`` request was malformed, not allowed or unknown; nothing ran."""


class NoRouteError(UnroutableEventError):
    """No ``@events.*`` route matches an event or record; the message lists the candidates."""


class AmbiguousRouteError(UnroutableEventError):
    """Several routes match one event, so none is run; see ``manage.py lambda_routes``."""


class RouteConflictError(ConfigurationError):
    """Routes registered in ``lambda_events.py`` modules overlap; reported at startup."""


class BatchFailedError(EventError):
    """Every record of a batch failed, so the whole batch is raised back to be retried."""


class RecordSkippedError(EventError):
    """A batch record was not run (deadline near, or an earlier record of its group or
    shard failed) and is reported failed so Lambda delivers it again."""


class HandlerReplyError(EventError):
    """An event handler returned something its event source cannot take back
    (a WebSocket reply or a tumbling-window state); the message says what is allowed."""


class SignatureError(BridgeError):
    """A request to the event proxy view is unsigned, stale, replayed or badly signed."""


class ResponseTooLargeError(BridgeError):
    """A reply exceeds what the event source accepts."""

    def __init__(self, size: int, limit: int, source: str, *, partial: bool = False) -> None:
        self.size = size
        self.limit = limit
        self.source = source
        #: ``size`` is a lower bound: collecting the body stopped once it was over the limit.
        self.partial = partial
        amount = f"over {size} bytes" if partial else f"{size} bytes once encoded"
        super().__init__(
            f"The response is {amount} for {source}, over its limit of {limit} bytes. "
            "Compress it (GZipMiddleware), paginate it, or serve large files from S3 "
            "(for example a presigned URL) instead."
        )


def describe_keys(event: Any) -> str:
    """Name an event's top-level keys for error messages without echoing its values."""
    if isinstance(event, Mapping):
        keys = sorted(str(k) for k in event)
        return "top-level keys: " + (", ".join(keys) if keys else "(none)")
    return f"a {type(event).__name__}, not a JSON object"


class DatabaseCredentialsError(ConfigurationError):
    """Database credentials could not be had: a secret unreadable or malformed, or no
    IAM token; the message names the secret or host, never a credential."""
