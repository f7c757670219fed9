"""The id that ties an invocation's log lines, its metrics and the client's reply together."""

from __future__ import annotations

from typing import Any


def correlation_id(event: Any, context: Any) -> str:
    """API Gateway's (or a Function URL's) request id, else Lambda's.

    The API Gateway id is the one in API Gateway's own access logs and in the
    ``X-Request-ID`` the client gets back, so support can find a request from
    either end. Nothing a client sends is used: an ALB passes on the Root of a
    client's own ``X-Amzn-Trace-Id``, so ALB requests get Lambda's request id.
    """
    try:  # per request, so the common case is one lookup chain
        request_id = event["requestContext"]["requestId"]
    except (KeyError, TypeError, IndexError):
        request_id = None
    if type(request_id) is str and request_id:
        return request_id
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) and value else "-"
