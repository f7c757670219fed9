"""``LambdaClient``: ``django.test.Client`` whose requests travel as Lambda events.

Everything but the handler (cookie jar, ``follow=True``, template and
exception capture, ``login``) is Django's own code, so tests behave as they do
in-process unless the Lambda path really changes the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.core.handlers.base import BaseHandler
from django.test import Client

from django_lambda_bridge.testing.client_handler import LambdaClientHandler
from django_lambda_bridge.testing.loading import LambdaCallable
from django_lambda_bridge.testing.route import LambdaRoute
from django_lambda_bridge.testing.switch import active_route
from django_lambda_bridge.testing.to_event import CLIENT_URL_KEY


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
        binary_media_types: Sequence[str] | None = None,
    ) -> None:
        base = active_route() or LambdaRoute()
        spec = handler if isinstance(handler, str) else base.handler
        route = LambdaRoute(
            events=events or base.events,
            stage=stage if stage is not None else (base.stage if events is None else None),
            handler=spec,
            binary_media_types=(
                tuple(binary_media_types)
                if binary_media_types is not None
                else base.binary_media_types
            ),
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
    handler that does not expose it as ``.wsgi_app``. ``binary_media_types``
    is the REST API's setting (v1 only; default ``("*/*",)``, what the docs
    tell you to set).
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
        binary_media_types: Sequence[str] | None = None,
        **defaults: Any,
    ) -> None:
        super().__init__(enforce_csrf_checks, raise_request_exception, **defaults)
        self._use_lambda(enforce_csrf_checks, events, stage, handler, wsgi_app, binary_media_types)
