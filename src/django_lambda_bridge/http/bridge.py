"""One HTTP invocation: event in, Django WSGI call, reply out, never a Lambda error."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import get_script_name

from django_lambda_bridge.conf import BridgeSettings, get_settings
from django_lambda_bridge.errors import MalformedEventError, ResponseTooLargeError
from django_lambda_bridge.http.environ import build_environ
from django_lambda_bridge.http.info import lambda_info
from django_lambda_bridge.http.response import (
    SIZE_LIMITS,
    SOURCE_NAMES,
    ResponseCollector,
    build_reply,
    check_size,
    problem_reply,
)
from django_lambda_bridge.http.static_urls import follow_script_prefix
from django_lambda_bridge.http.wsgi import USER_KEY, authenticated_user_id
from django_lambda_bridge.kinds import Kind
from django_lambda_bridge.observability import access
from django_lambda_bridge.observability.correlation import correlation_id

logger = logging.getLogger("django_lambda_bridge.http")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


#: Where the exception Django turned into its own 500 response is kept, in the environ.
EXC_INFO_KEY = "django_lambda_bridge.exc_info"


def _request_id(context: Any) -> str:
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) else "-"


def record_request_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """Log an exception Django caught in a view, with the Lambda and API Gateway ids.

    Django answers it with its own 500 response (handler500) and logs the
    traceback at ``django.request`` without any id to find the invocation by;
    this adds one line that has them, and no second copy of the traceback.
    The exception is kept in the environ for ``RAISE_EXCEPTIONS``.
    """
    info = lambda_info(request)
    if info is None:
        return  # not a Lambda request (the Django test client, runserver)
    caught = sys.exc_info()
    logger.error(
        "Unhandled exception in a view for %s %s (request %s, API request %s): %s; "
        "Django logs its traceback (logger django.request)",
        request.method,
        request.path,
        info.aws_request_id or "-",
        info.request_id or "-",
        type(caught[1]).__name__,
    )
    request.META[EXC_INFO_KEY] = caught


def connect_signals() -> None:
    from django.core.signals import got_request_exception

    got_request_exception.connect(
        record_request_exception, dispatch_uid="django_lambda_bridge.http.exceptions"
    )


def _add_header(headers: list[tuple[str, str]], name: str, value: str) -> None:
    """Unless the view set it: a view that sets its own request id keeps it."""
    lowered = name.lower()
    for existing, _ in headers:
        if existing.lower() == lowered:
            return
    headers.append((name, value))


def _id_header(conf: BridgeSettings, request_id: str) -> list[tuple[str, str]]:
    return [(conf.REQUEST_ID_HEADER, request_id)] if conf.REQUEST_ID_HEADER else []


class _Facts:
    """What the access line says about a request, filled in as it becomes known."""

    __slots__ = ("method", "path", "size", "user")

    def __init__(self) -> None:
        self.method = self.path = "-"
        self.size = 0
        self.user: Any = None


class HttpBridge:
    """Runs a WSGI app for API Gateway (v1, v2), Function URL, ALB and VPC Lattice events.

    Settings are read through ``get_settings()`` on every call, so
    ``override_settings(LAMBDA_BRIDGE=...)`` reaches the HTTP path; ``conf``
    pins them instead (for embedding a bridge with settings of its own).
    """

    def __init__(self, app: WSGIApp, conf: BridgeSettings | None = None) -> None:
        self.app = app
        self.conf = conf
        connect_signals()

    def __call__(self, event: dict[str, Any], context: Any, kind: Kind) -> dict[str, Any]:
        conf = self.conf if self.conf is not None else get_settings()
        logged = conf.ACCESS_LOG and access.enabled()
        # One id for the reply header, the access line and the JSON logs' correlation_id.
        request_id = correlation_id(event, context) if logged or conf.REQUEST_ID_HEADER else ""
        if not logged:
            return self._respond(event, context, kind, conf, request_id, None)
        started = time.perf_counter()
        facts = _Facts()
        reply = self._respond(event, context, kind, conf, request_id, facts)
        try:
            status = reply.get("statusCode")  # every reply: the bridge's own 400/500/502 too
            access.http_line(
                method=facts.method,
                path=facts.path,
                status=status if isinstance(status, int) else 0,
                duration_ms=(time.perf_counter() - started) * 1000,
                size=facts.size,
                user_id=authenticated_user_id(facts.user),
                request_id=request_id,
            )
        except Exception:  # a log line must never fail a request that was served
            logger.warning("Could not write the access line", exc_info=True)
        return reply

    def _respond(
        self,
        event: dict[str, Any],
        context: Any,
        kind: Kind,
        conf: BridgeSettings,
        request_id: str,
        facts: _Facts | None,
    ) -> dict[str, Any]:
        # No script-prefix save/restore here: Django sets the thread's prefix per
        # request and a Lambda process serves nothing else. In-process callers
        # (the test clients) restore theirs in testing.client.lambda_request_scope.
        multi = kind is Kind.ALB and "multiValueHeaders" in event
        try:
            environ = build_environ(event, context, kind, conf)
        except MalformedEventError as exc:
            logger.warning(
                "Malformed %s event (request %s): %s", kind.value, _request_id(context), exc
            )
            return problem_reply(
                kind,
                400,
                f"Malformed {kind.value} event: {exc}",
                alb_multi_value=multi,
                headers=_id_header(conf, request_id),
            )
        except Exception:
            # A shape our checks let through but translation chokes on: still the
            # client's event at fault, and still no Lambda error.
            logger.exception(
                "Could not translate a %s event (request %s)", kind.value, _request_id(context)
            )
            return problem_reply(
                kind,
                400,
                f"Malformed {kind.value} event: it could not be translated to a request.",
                alb_multi_value=multi,
                headers=_id_header(conf, request_id),
            )
        if facts is not None:
            facts.method = environ["REQUEST_METHOD"]
            facts.path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        limit = conf.RESPONSE_SIZE_LIMIT or SIZE_LIMITS[kind]
        collector = ResponseCollector(limit, SOURCE_NAMES[kind])
        follow_script_prefix(get_script_name(environ))
        try:
            collector.consume(
                self.app(environ, collector.start_response),
                head=environ["REQUEST_METHOD"] == "HEAD",  # no body, as any HTTP server
            )
            caught = environ.pop(EXC_INFO_KEY, None)
            if caught is not None and conf.RAISE_EXCEPTIONS:
                raise caught[1].with_traceback(caught[2])
            body = collector.body.getvalue()
            if conf.REQUEST_ID_HEADER:
                _add_header(collector.headers, conf.REQUEST_ID_HEADER, request_id)
            if facts is not None:
                facts.user, facts.size = environ.get(USER_KEY), len(body)
            reply = build_reply(
                kind,
                collector.status,
                collector.headers,
                body,
                text_types=conf.TEXT_CONTENT_TYPES,
                alb_multi_value=multi,
            )
            check_size(kind, reply, body, limit)
        except ResponseTooLargeError as exc:
            logger.error(
                "Response too large for %s %s (request %s): %s",
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO"),
                _request_id(context),
                exc,
            )
            return problem_reply(
                kind,
                502,
                str(exc),
                alb_multi_value=multi,
                headers=_id_header(conf, request_id),
                size_bytes=exc.size,
                limit_bytes=exc.limit,
            )
        except Exception:
            if conf.RAISE_EXCEPTIONS:
                raise
            logger.exception(
                "Unhandled exception for %s %s (request %s)",
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO"),
                _request_id(context),
            )
            return problem_reply(
                kind,
                500,
                "The server failed to handle this request.",
                alb_multi_value=multi,
                headers=_id_header(conf, request_id),
                request_id=_request_id(context),
            )
        return reply
