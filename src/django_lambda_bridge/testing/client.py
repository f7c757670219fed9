"""Django's test client, with every request sent through the Lambda handler as an event.

``LambdaClient`` is ``django.test.Client`` with one part swapped: the object
that turns the test's WSGI environ into a response. Instead of calling Django
directly, it builds the API Gateway, Function URL or ALB event a real client's
request would produce, passes it to the project's real handler, and decodes
the handler's reply. Everything else (cookie jar, ``follow=True``, template and
exception capture, ``login``) is Django's own code, so tests behave as they do
in-process unless the Lambda path really changes the answer.

The reply's status, headers, cookies and bytes come from the event path only.
The in-process objects the handler produced along the way (the request, DRF's
pre-render ``data``) are attached to the response too, because assertions use
them; they never replace what the reply says.

``LambdaAPIClient`` (DRF) lives in ``testing.drf_client`` and is re-exported
here lazily, so projects without DRF can use this module.
"""

from __future__ import annotations

import copy
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from django.core.handlers.base import BaseHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.http.response import HttpResponseBase, ResponseHeaders
from django.test import Client
from django.urls import get_script_prefix, set_script_prefix

from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.testing.context import FakeContext
from django_lambda_bridge.testing.events import EXECUTE_API_HOST, FORMATS, http_event
from django_lambda_bridge.testing.replies import DecodedReply, decode_reply

if TYPE_CHECKING:
    from django_lambda_bridge.testing.drf_client import LambdaAPIClient

__all__ = [
    "ENV_EVENTS",
    "ENV_HANDLER",
    "ENV_STAGE",
    "LambdaAPIClient",
    "LambdaClient",
    "LambdaClientHandler",
    "LambdaRoute",
    "active_route",
    "get_project_handler",
    "hook_wsgi_app",
    "route_clients",
    "unroute_clients",
]

#: Environment variables read by ``route_clients_from_env`` (``manage.py test`` users).
ENV_EVENTS = "DJANGO_LAMBDA_EVENTS"
ENV_STAGE = "DJANGO_LAMBDA_STAGE"
ENV_HANDLER = "DJANGO_LAMBDA_HANDLER"

#: Environ key the client sets when a URL was given as the client sees it
#: (absolute, on the API's host), so the stage prefix must already be in it.
CLIENT_URL_KEY = "django_lambda_bridge.client_url"

LambdaCallable = Callable[[dict[str, Any], Any], Any]


# --- which handler answers ---------------------------------------------------

_handler_lock = threading.Lock()
_handlers: dict[str, LambdaCallable] = {}


def get_project_handler(spec: str | None = None) -> LambdaCallable:
    """The project's handler, built once per process like a Lambda container's.

    ``spec`` (or ``$DJANGO_LAMBDA_HANDLER``) is ``"package.module:attribute"``
    naming the object Lambda calls; without it, ``make_handler()`` with the
    current settings is used.
    """
    spec = spec or os.environ.get(ENV_HANDLER) or ""
    with _handler_lock:
        if spec not in _handlers:
            _handlers[spec] = _load_handler(spec)
        return _handlers[spec]


def _load_handler(spec: str) -> LambdaCallable:
    if not spec:
        from django_lambda_bridge.handler import make_handler

        return make_handler()
    module_name, _, attribute = spec.partition(":")
    try:
        handler = getattr(import_module(module_name), attribute or "handler")
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"Cannot load the Lambda handler {spec!r} ({exc}). Give it as "
            "'package.module:attribute', the way the function's handler setting names it."
        ) from exc
    if not callable(handler):
        raise ConfigurationError(f"The Lambda handler {spec!r} is not callable.")
    return handler  # type: ignore[no-any-return]


# --- the seam inside Django --------------------------------------------------


@dataclass
class _Call:
    """What one client request asks of the handler's Django, and what it got back."""

    enforce_csrf_checks: bool
    force_user: Any = None
    force_token: Any = None
    request: Any = None
    response: HttpResponseBase | None = None


_current_call: ContextVar[_Call | None] = ContextVar("django_lambda_bridge_call", default=None)
_hooked: weakref.WeakSet[BaseHandler] = weakref.WeakSet()


def hook_wsgi_app(app: BaseHandler) -> None:
    """Let test clients see inside a handler's Django ``WSGIHandler``.

    ``get_response`` is wrapped on this one instance. While a test client's
    request is in flight it applies what Django's and DRF's client handlers
    apply (the CSRF test bypass and ``force_authenticate``) and keeps the
    request and response objects; outside a client request it does nothing.
    """
    if app in _hooked:
        return
    original = app.get_response

    def get_response(request: Any) -> HttpResponseBase:
        call = _current_call.get()
        if call is None:
            return original(request)
        request._dont_enforce_csrf_checks = not call.enforce_csrf_checks
        if call.force_user is not None or call.force_token is not None:
            from rest_framework.test import force_authenticate

            force_authenticate(request, call.force_user, call.force_token)
        response = original(request)
        call.request, call.response = request, response
        return response

    setattr(app, "get_response", get_response)  # noqa: B010 - instance-level wrap
    _hooked.add(app)
    _connect_middleware_reload()


def _reload_middleware(*, setting: str, **kwargs: Any) -> None:
    # The cached handler loaded MIDDLEWARE once; Django's client loads it per
    # client, so @override_settings(MIDDLEWARE=...) must reach ours as well.
    if setting == "MIDDLEWARE":
        for app in list(_hooked):
            app.load_middleware()


def _connect_middleware_reload() -> None:
    from django.test.signals import setting_changed

    setting_changed.connect(_reload_middleware, dispatch_uid="django_lambda_bridge.client")


def _find_wsgi_app(handler: Any) -> BaseHandler | None:
    app = getattr(handler, "wsgi_app", None)
    return app if isinstance(app, BaseHandler) else None


@contextmanager
def lambda_request_scope() -> Iterator[None]:
    """Run a handler call the way Django's test client runs a request.

    Django's client keeps ``close_old_connections`` from firing so a test's
    transaction survives the request, and a request served under a stage
    leaves its script prefix behind in the thread; both are undone here.
    """
    prefix = get_script_prefix()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        set_script_prefix(prefix)


# --- environ -> event ----------------------------------------------------------

_GATEWAY_HEADERS = frozenset(
    {
        "HTTP_HOST",
        "HTTP_COOKIE",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_PORT",
    }
)
_TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _wsgi_str(value: str) -> str:
    """Undo WSGI's latin-1 transport of UTF-8 bytes (PEP 3333 "bytes as str")."""
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _header_name(key: str) -> str:
    return "-".join(part.capitalize() for part in key.split("_"))


def _is_text(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith(("+json", "+xml"))


def _host(environ: Mapping[str, Any]) -> str:
    host = environ.get("HTTP_HOST")
    if host:
        return str(host)
    name, port = str(environ.get("SERVER_NAME", "testserver")), str(environ.get("SERVER_PORT"))
    return name if port in ("80", "443", "None", "") else f"{name}:{port}"


def _read_body(environ: Mapping[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ.get("wsgi.input")
    if not length or stream is None:
        return b""
    return bytes(stream.read(length))


@dataclass(frozen=True)
class LambdaRoute:
    """Where the client's requests go: event format, stage and handler."""

    events: str = "v1"
    #: ``None`` picks the format's usual stage ("prod" for v1, none otherwise);
    #: ``""`` means no stage in the URL (a custom domain).
    stage: str | None = None
    handler: str | None = None

    def __post_init__(self) -> None:
        if self.events not in FORMATS:
            raise ConfigurationError(
                f"Unknown Lambda event format {self.events!r}; choose one of {', '.join(FORMATS)}."
            )
        if self.stage and (self.events not in ("v1", "v2") or "/" in self.stage):
            raise ConfigurationError(
                f"A stage ({self.stage!r}) only applies to v1 and v2 events and must be one "
                "path segment; Function URLs and ALBs have none."
            )

    @property
    def stage_name(self) -> str:
        if self.stage is not None:
            return self.stage
        return "prod" if self.events == "v1" else ""

    def describe(self) -> str:
        stage = f" under stage {self.stage_name!r}" if self.stage_name else ""
        handler = f" through {self.handler}" if self.handler else ""
        return f"{self.events} events{stage}{handler}"


class LambdaClientHandler:
    """Stands where Django's ``ClientHandler`` stands: ``environ -> response``.

    Takes ``_force_user``/``_force_token`` like DRF's ``ForceAuthClientHandler``
    so ``APIClient.force_authenticate`` works unchanged.
    """

    #: Requests sent through any Lambda client handler in this process.
    invocations = 0

    def __init__(
        self,
        enforce_csrf_checks: bool = False,
        *,
        route: LambdaRoute,
        handler: LambdaCallable | None = None,
        wsgi_app: BaseHandler | None = None,
    ) -> None:
        self.enforce_csrf_checks = enforce_csrf_checks
        self.route = route
        self._handler = handler
        self._wsgi_app = wsgi_app
        self._force_user: Any = None
        self._force_token: Any = None
        #: The last event sent and reply received, for tests of the client itself.
        self.last_event: dict[str, Any] | None = None
        self.last_reply: Any = None

    @property
    def lambda_handler(self) -> LambdaCallable:
        if self._handler is None:
            self._handler = get_project_handler(self.route.handler)
        app = self._wsgi_app or _find_wsgi_app(self._handler)
        if app is not None:
            hook_wsgi_app(app)
        return self._handler

    @property
    def prefix(self) -> str:
        """What the client's URLs carry before the path Django routes on."""
        stage = f"/{self.route.stage_name}" if self.route.stage_name else ""
        conf = getattr(self._handler, "conf", None)
        return stage + str(getattr(conf, "BASE_PATH", "") or "")

    def __call__(self, environ: dict[str, Any]) -> HttpResponseBase:
        handler = self.lambda_handler
        client_url = bool(environ.pop(CLIENT_URL_KEY, False))
        path = environ["PATH_INFO"]
        prefix = self.prefix
        if client_url and prefix:
            if path != prefix and not path.startswith(prefix + "/"):
                return self._gateway_rejection(environ)
            path = path[len(prefix) :] or "/"
        event = self._event(environ, path)
        call = _Call(self.enforce_csrf_checks, self._force_user, self._force_token)
        token = _current_call.set(call)
        try:
            with lambda_request_scope():
                reply = handler(event, FakeContext())
        finally:
            _current_call.reset(token)
        LambdaClientHandler.invocations += 1
        self.last_event, self.last_reply = event, reply
        response = _to_response(decode_reply(reply), call.response)
        response.wsgi_request = call.request  # type: ignore[attr-defined]
        self._map_location(response, environ)
        return response

    def _event(self, environ: Mapping[str, Any], path: str) -> dict[str, Any]:
        conf = getattr(self._handler, "conf", None)
        base_path = str(getattr(conf, "BASE_PATH", "") or "")
        # PATH_INFO is UTF-8 bytes carried as latin-1; the event carries them percent-encoded.
        raw_path = quote((base_path + path).encode("iso-8859-1"), safe=_PATH_SAFE)
        source_ip = str(environ.get("REMOTE_ADDR") or "127.0.0.1")
        fmt, stage, host = self.route.events, self.route.stage_name, _host(environ)
        headers: list[tuple[str, str]] = []
        for key, value in environ.items():
            if key.startswith("HTTP_") and key not in _GATEWAY_HEADERS:
                headers.append((_header_name(key[5:]), str(value)))
        if fmt in ("alb", "alb-multi"):  # the ALB factory appends the peer itself
            if environ.get("HTTP_X_FORWARDED_FOR"):
                headers.append(("X-Forwarded-For", str(environ["HTTP_X_FORWARDED_FOR"])))
        else:
            # API Gateway and Function URLs append the peer to X-Forwarded-For and
            # set the protocol headers, whatever the client sent.
            forwarded = environ.get("HTTP_X_FORWARDED_FOR")
            headers.append(
                ("X-Forwarded-For", f"{forwarded}, {source_ip}" if forwarded else source_ip)
            )
            headers.append(("X-Forwarded-Proto", "https"))
            headers.append(("X-Forwarded-Port", "443"))
        if environ.get("HTTP_COOKIE"):
            headers.append(("Cookie", str(environ["HTTP_COOKIE"])))
        if self._needs_origin(environ):
            # Behind API Gateway Django sees HTTPS, where CSRF also checks the
            # origin; a browser on the same site sends it, so the client does too.
            headers.append(("Origin", f"https://{host}"))
        content_type = str(environ.get("CONTENT_TYPE") or "")
        body = _read_body(environ)
        if content_type:
            headers.append(("Content-Type", content_type))
        if body:
            headers.append(("Content-Length", str(len(body))))
        options: dict[str, Any] = {
            "query": _wsgi_str(str(environ.get("QUERY_STRING") or "")),
            "headers": headers,
            "body": body or None,
            # API Gateway base64-encodes binary media types; text travels as is.
            "base64": bool(body) and not _is_text(content_type),
            "host": host,
            "source_ip": source_ip,
        }
        if fmt == "v1":
            options.update(stage=stage or "prod", stage_in_url=bool(stage))
        elif fmt == "v2" and stage:
            options.update(stage=stage, stage_in_url=True)
        elif fmt in ("alb", "alb-multi"):
            options["scheme"] = environ.get("wsgi.url_scheme", "http")
        event = http_event(fmt, str(environ["REQUEST_METHOD"]), raw_path, **options)
        if fmt == "v2" and stage:
            # A named stage is in the URL only on the execute-api domain; the Host
            # header keeps the test's host so ALLOWED_HOSTS and assertions still match.
            event["requestContext"]["domainName"] = EXECUTE_API_HOST
        return event

    def _needs_origin(self, environ: Mapping[str, Any]) -> bool:
        return (
            self.enforce_csrf_checks
            and self.route.events not in ("alb", "alb-multi")
            and environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "OPTIONS", "TRACE")
            and "HTTP_ORIGIN" not in environ
            and "HTTP_REFERER" not in environ
        )

    def _gateway_rejection(self, environ: Mapping[str, Any]) -> HttpResponse:
        """What API Gateway answers for a URL outside the stage: the app never sees it."""
        if self.route.events == "v1":
            response = HttpResponse(
                b'{"message":"Missing Authentication Token"}',
                status=403,
                content_type="application/json",
            )
            response["x-amzn-ErrorType"] = "MissingAuthenticationTokenException"
        else:
            response = HttpResponse(
                b'{"message":"Not Found"}', status=404, content_type="application/json"
            )
        response.wsgi_request = None  # type: ignore[attr-defined]
        return response

    def _map_location(self, response: HttpResponseBase, environ: Mapping[str, Any]) -> None:
        """Bring a redirect back into the test's URL space (paths without the stage).

        A same-host Location under the prefix loses it, as in-process. One that
        is relative but outside the prefix would leave the API on a real
        gateway, so it becomes absolute: an ``assertRedirects`` to the bare path
        then fails, as the redirect would for a real client.
        """
        location = response.get("Location")
        prefix = self.prefix
        if not location or not prefix:
            return
        parts = urlsplit(location)
        host = _host(environ)
        if parts.netloc and parts.netloc != host:
            return
        if parts.path == prefix or parts.path.startswith(prefix + "/"):
            if not parts.netloc:
                path = parts.path[len(prefix) :] or "/"
                response["Location"] = urlunsplit(("", "", path, parts.query, parts.fragment))
        elif not parts.netloc and parts.path.startswith("/"):
            response["Location"] = urlunsplit(
                ("https", host, parts.path, parts.query, parts.fragment)
            )


# --- reply -> response ---------------------------------------------------------

#: Response attributes that carry the HTTP message; these come from the reply only.
_MESSAGE_ATTRIBUTES = ("_container", "_iterator", "file_to_stream", "_resource_closers")


def _to_response(reply: DecodedReply, captured: HttpResponseBase | None) -> HttpResponseBase:
    """A response whose status, headers, cookies and bytes are the reply's.

    When Django produced the same status in-process, the response is a copy of
    Django's object (so its class, DRF's ``data``, ``renderer_context`` and the
    like are there) with the HTTP message replaced; otherwise a plain one.
    """
    response: HttpResponseBase
    if captured is not None and captured.status_code == reply.status:
        response = copy.copy(captured)
        for name in _MESSAGE_ATTRIBUTES:
            response.__dict__.pop(name, None)
        response._resource_closers = []  # type: ignore[attr-defined]
        response.closed = False
        if response.streaming:
            response.streaming_content = [reply.body]  # type: ignore[attr-defined]
        else:
            response.content = reply.body  # type: ignore[attr-defined]
    else:
        response = HttpResponse(reply.body, status=reply.status)
    response.headers = ResponseHeaders({})
    response.cookies = SimpleCookie()
    for name, value in reply.headers:
        if name.lower() == "set-cookie":
            response.cookies.load(value)
        elif name in response.headers:
            response.headers[name] = f"{response.headers[name]}, {value}"
        else:
            response.headers[name] = value
    return response


# --- the clients ---------------------------------------------------------------


class LambdaClientMixin:
    """The parts shared by the Django and DRF clients."""

    handler: Any

    def _use_lambda(
        self,
        enforce_csrf_checks: bool,
        events: str | None,
        stage: str | None,
        handler: LambdaCallable | str | None,
        wsgi_app: BaseHandler | None,
    ) -> None:
        base = active_route() or LambdaRoute()
        spec = handler if isinstance(handler, str) else base.handler
        route = LambdaRoute(
            events=events or base.events,
            stage=stage if stage is not None else (base.stage if events is None else None),
            handler=spec,
        )
        self.handler = LambdaClientHandler(
            enforce_csrf_checks,
            route=route,
            handler=None if isinstance(handler, str) else handler,
            wsgi_app=wsgi_app,
        )

    @property
    def lambda_route(self) -> LambdaRoute:
        route: LambdaRoute = self.handler.route
        return route

    def _is_client_url(self, path: Any, extra: Mapping[str, Any]) -> bool:
        parts = urlsplit(str(path))
        if not parts.netloc:
            return False
        host = extra.get("HTTP_HOST") or getattr(self, "defaults", {}).get("HTTP_HOST")
        return parts.netloc == (host or "testserver")

    def generic(self, method: str, path: Any, *args: Any, **extra: Any) -> Any:
        # An absolute URL on the API's host is one a client copied from a reply
        # (a pagination link, say): it already carries the stage.
        if self._is_client_url(path, extra):
            extra[CLIENT_URL_KEY] = True
        return super().generic(method, path, *args, **extra)  # type: ignore[misc]

    def _follow_redirect(self, response: Any, **kwargs: Any) -> Any:
        if self._is_client_url(response.url, kwargs):
            kwargs[CLIENT_URL_KEY] = True
        return super()._follow_redirect(response, **kwargs)  # type: ignore[misc]


class LambdaClient(LambdaClientMixin, Client):
    """``django.test.Client`` whose requests travel as Lambda events.

    ``events`` is one of ``v1``, ``v2``, ``function-url``, ``alb``,
    ``alb-multi``; ``stage`` the API Gateway stage in the URL (v1 defaults to
    ``prod``; ``""`` for none). ``handler`` is the callable Lambda would call,
    or its ``"module:attribute"`` path; by default the project's own, built
    once per process. ``wsgi_app`` is the Django ``WSGIHandler`` inside a
    handler that does not expose it as ``.wsgi_app``.
    """

    def __init__(
        self,
        enforce_csrf_checks: bool = False,
        raise_request_exception: bool = True,
        *,
        events: str | None = None,
        stage: str | None = None,
        handler: LambdaCallable | str | None = None,
        wsgi_app: BaseHandler | None = None,
        **defaults: Any,
    ) -> None:
        super().__init__(enforce_csrf_checks, raise_request_exception, **defaults)
        self._use_lambda(enforce_csrf_checks, events, stage, handler, wsgi_app)


# --- routing a whole suite -----------------------------------------------------


@dataclass
class _Routing:
    route: LambdaRoute
    originals: dict[tuple[Any, str], Any] = field(default_factory=dict)


_routing: _Routing | None = None


def active_route() -> LambdaRoute | None:
    """The route set by ``route_clients`` (the pytest switch or environment), if any."""
    return _routing.route if _routing is not None else None


def _patch(routing: _Routing, owner: Any, name: str, value: Any) -> None:
    key = (owner, name)
    if key not in routing.originals:
        routing.originals[key] = owner.__dict__.get(name)
    setattr(owner, name, value)


def route_clients(events: str, stage: str | None = None, handler: str | None = None) -> None:
    """Make the standard test clients send every request through the Lambda handler.

    Patches ``django.test.Client`` (also what pytest-django's ``client`` fixture
    builds), ``SimpleTestCase.client_class`` and, when DRF is installed,
    ``rest_framework.test.APIClient`` and its test cases' ``client_class``.
    Test modules imported afterwards see the Lambda clients without changes.
    """
    global _routing
    route = LambdaRoute(events, stage, handler)
    import django.test
    import django.test.client
    from django.test import SimpleTestCase

    drf_test: ModuleType | None
    try:  # DRF first, so its APIClient subclasses Django's real Client
        import rest_framework.test as drf_test
    except ImportError:
        drf_test = None
    routing = _routing or _Routing(route)
    routing.route = route
    _patch(routing, django.test, "Client", LambdaClient)
    _patch(routing, django.test.client, "Client", LambdaClient)
    _patch(routing, SimpleTestCase, "client_class", LambdaClient)
    if drf_test is not None:
        from django_lambda_bridge.testing.drf_client import LambdaAPIClient as api_client

        _patch(routing, drf_test, "APIClient", api_client)
        for case in (
            drf_test.APISimpleTestCase,
            drf_test.APITransactionTestCase,
            drf_test.APITestCase,
            drf_test.APILiveServerTestCase,
        ):
            _patch(routing, case, "client_class", api_client)
    _routing = routing


def unroute_clients() -> None:
    """Undo ``route_clients``: the standard clients run in-process again."""
    global _routing
    if _routing is None:
        return
    for (owner, name), value in _routing.originals.items():
        if value is None:
            delattr(owner, name)
        else:
            setattr(owner, name, value)
    _routing = None


def route_clients_from_env() -> bool:
    """Apply ``$DJANGO_LAMBDA_EVENTS`` (and ``_STAGE``, ``_HANDLER``); True if it did."""
    events = os.environ.get(ENV_EVENTS, "").strip()
    if not events:
        return False
    stage = os.environ.get(ENV_STAGE)
    route_clients(events, stage.strip() if stage is not None else None, os.environ.get(ENV_HANDLER))
    return True


def __getattr__(name: str) -> Any:
    if name == "LambdaAPIClient":
        from django_lambda_bridge.testing.drf_client import LambdaAPIClient

        return LambdaAPIClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
