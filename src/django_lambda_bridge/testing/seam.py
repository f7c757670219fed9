"""The seam inside the handler's Django: what a test client may see and set there.

Django's ``ClientHandler`` runs the request in-process, so it can skip CSRF
checks, force a user and keep the request and response objects. A Lambda
client cannot reach in through the event, so the handler's ``WSGIHandler`` is
wrapped once and does the same while a client request is in flight.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.handlers.base import BaseHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http.response import HttpResponseBase
from django.urls import get_script_prefix, set_script_prefix

from django_lambda_bridge.http.static_urls import follow_script_prefix


@dataclass
class ClientCall:
    """What one client request asks of the handler's Django, and what it got back."""

    enforce_csrf_checks: bool
    force_user: Any = None
    force_token: Any = None
    request: Any = None
    response: HttpResponseBase | None = None


current_call: ContextVar[ClientCall | None] = ContextVar("django_lambda_bridge_call", default=None)
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
        call = current_call.get()
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


#: Settings that middleware reads once, when it is built (CSRF caches its trusted origins).
_MIDDLEWARE_SETTINGS = frozenset({"MIDDLEWARE", "SESSION_ENGINE"})


def _reload_middleware(*, setting: str, **kwargs: Any) -> None:
    # The cached handler loaded its middleware once; Django's client loads it per
    # client, so @override_settings(MIDDLEWARE=..., CSRF_TRUSTED_ORIGINS=...) must
    # reach ours as well.
    if setting in _MIDDLEWARE_SETTINGS or setting.startswith(("SECURE_", "CSRF_")):
        for app in list(_hooked):
            app.load_middleware()


def _connect_middleware_reload() -> None:
    from django.test.signals import setting_changed

    setting_changed.connect(_reload_middleware, dispatch_uid="django_lambda_bridge.client")


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
        follow_script_prefix(prefix)  # in-process requests after this get unstaged links
