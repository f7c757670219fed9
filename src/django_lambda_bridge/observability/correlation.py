"""The id that ties an invocation's log lines, its metrics and the client's reply together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def correlation_id(event: Any, context: Any) -> str:
    """API Gateway's (or a Function URL's) request id, else ALB's trace id, else Lambda's.

    The API Gateway id is the one in API Gateway's own access logs and in the
    ``X-Request-ID`` the client gets back, so support can find a request from
    either end. Nothing a client sends is used: ALB's ``X-Amzn-Trace-Id`` is
    set by the load balancer.
    """
    if isinstance(event, Mapping):
        rc = event.get("requestContext")
        if isinstance(rc, Mapping) and isinstance(rc.get("requestId"), str) and rc["requestId"]:
            return str(rc["requestId"])
        if isinstance(rc, Mapping) and "elb" in rc:
            trace = _alb_trace_id(event)
            if trace:
                return trace
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) and value else "-"


def _alb_trace_id(event: Mapping[str, Any]) -> str:
    """The load balancer's own ``X-Amzn-Trace-Id`` (the last one, in multi-value mode)."""
    headers = event.get("headers")
    if isinstance(headers, Mapping) and isinstance(headers.get("x-amzn-trace-id"), str):
        return str(headers["x-amzn-trace-id"])
    multi = event.get("multiValueHeaders")
    values = multi.get("x-amzn-trace-id") if isinstance(multi, Mapping) else None
    if isinstance(values, list) and values and isinstance(values[-1], str):
        return values[-1]
    return ""
