"""``LambdaClientHandler``: stands where Django's ``ClientHandler`` stands, ``environ -> response``.

It turns the test's environ into an event, calls the project's handler with a
fake context, checks the reply against what Django produced inside it, and
gives back the response a client of the real gateway would see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.handlers.base import BaseHandler
from django.http import HttpResponse
from django.http.response import HttpResponseBase

from django_lambda_bridge.testing import tally
from django_lambda_bridge.testing.context import FakeContext
from django_lambda_bridge.testing.contract import check_contract
from django_lambda_bridge.testing.loading import LambdaCallable, find_wsgi_app, get_project_handler
from django_lambda_bridge.testing.replies import decode_reply
from django_lambda_bridge.testing.route import LambdaRoute
from django_lambda_bridge.testing.seam import (
    ClientCall,
    current_call,
    hook_wsgi_app,
    lambda_request_scope,
)
from django_lambda_bridge.testing.to_event import CLIENT_URL_KEY, environ_to_event, host_of
from django_lambda_bridge.testing.to_response import as_received, to_response


class LambdaClientHandler:
    """Stands where Django's ``ClientHandler`` stands: ``environ -> response``.

    Takes ``_force_user``/``_force_token`` like DRF's ``ForceAuthClientHandler``
    so ``APIClient.force_authenticate`` works unchanged.
    """

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
        app = self._wsgi_app or find_wsgi_app(self._handler)
        if app is not None:
            hook_wsgi_app(app)
        return self._handler

    @property
    def base_path(self) -> str:
        conf = getattr(self._handler, "conf", None)
        return str(getattr(conf, "BASE_PATH", "") or "")

    @property
    def prefix(self) -> str:
        """What the client's URLs carry before the path Django routes on."""
        stage = f"/{self.route.stage_name}" if self.route.stage_name else ""
        return stage + self.base_path

    def __call__(self, environ: dict[str, Any]) -> HttpResponseBase:
        handler = self.lambda_handler
        client_url = bool(environ.pop(CLIENT_URL_KEY, False))
        path = environ["PATH_INFO"]
        prefix = self.prefix
        if client_url and prefix:
            if path != prefix and not path.startswith(prefix + "/"):
                return self._gateway_rejection()
            path = path[len(prefix) :] or "/"
        event = environ_to_event(
            environ,
            path,
            self.route,
            base_path=self.base_path,
            enforce_csrf_checks=self.enforce_csrf_checks,
        )
        call = ClientCall(self.enforce_csrf_checks, self._force_user, self._force_token)
        token = current_call.set(call)
        try:
            with lambda_request_scope():
                reply = handler(event, FakeContext())
        finally:
            current_call.reset(token)
        tally.count(routed=1)
        self.last_event, self.last_reply = event, reply
        decoded = decode_reply(reply)
        check_contract(decoded, call.response, str(environ["REQUEST_METHOD"]), path)
        response = to_response(as_received(decoded, reply, environ, self.route), call.response)
        response.wsgi_request = call.request  # type: ignore[attr-defined]
        self._map_location(response, environ)
        return response

    def _gateway_rejection(self) -> HttpResponse:
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
        host = host_of(environ)
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
