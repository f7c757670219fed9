"""The switch: make the standard test clients send every request through the handler.

Used by the pytest plugin (``--lambda-events``) and the ``manage.py test``
runner (``LambdaDiscoverRunner``). While it is on, Django's in-process
``ClientHandler`` counts the requests it still serves, so a client the switch
could not reach shows up in the summary instead of passing silently.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django_lambda_bridge.testing import tally
from django_lambda_bridge.testing.env import (
    ENV_BINARY_MEDIA_TYPES,
    ENV_EVENTS,
    ENV_HANDLER,
    ENV_STAGE,
    ENV_STRICT,
    strict_from_env,
)
from django_lambda_bridge.testing.route import (
    DEFAULT_BINARY_MEDIA_TYPES,
    LambdaRoute,
    parse_media_types,
)

__all__ = [
    "ENV_BINARY_MEDIA_TYPES",
    "ENV_EVENTS",
    "ENV_HANDLER",
    "ENV_STAGE",
    "ENV_STRICT",
    "active_route",
    "route_clients",
    "route_clients_from_env",
    "route_from_env",
    "strict_from_env",
    "unroute_clients",
]


@dataclass
class _Routing:
    route: LambdaRoute
    originals: dict[tuple[Any, str], Any] = field(default_factory=dict)


_routing: _Routing | None = None


def active_route() -> LambdaRoute | None:
    """The route set by ``route_clients`` (the pytest switch or the runner), if any."""
    return _routing.route if _routing is not None else None


def _patch(routing: _Routing, owner: Any, name: str, value: Any) -> None:
    key = (owner, name)
    if key not in routing.originals:
        routing.originals[key] = owner.__dict__.get(name)
    setattr(owner, name, value)


def _counting(call: Any) -> Any:
    @functools.wraps(call)
    def __call__(self: Any, environ: Any) -> Any:
        tally.count(bypassed=1)
        return call(self, environ)

    return __call__


def _counting_async(call: Any) -> Any:
    @functools.wraps(call)
    async def __call__(self: Any, scope: Any) -> Any:
        tally.count(bypassed=1)
        return await call(self, scope)

    return __call__


def _lambda_class(cls: type) -> type:
    """``cls`` with the Lambda mixin in front, made once per class."""
    from django_lambda_bridge.testing.clients import LambdaClientMixin

    made = _adopted_classes.get(cls)
    if made is None:
        made = type(
            f"Lambda{cls.__name__}",
            (LambdaClientMixin, cls),
            {"__module__": cls.__module__, "__doc__": cls.__doc__},
        )
        _adopted_classes[cls] = made
    return made


_adopted_classes: dict[type, type] = {}


def _adopt(client: Any) -> Any:
    """Turn a client built from a class bound before the switch into a Lambda client.

    Done at its first request, when its own ``__init__`` has finished: the
    handler it built (Django's, or DRF's force-auth one) gives the CSRF choice
    and any forced user, which the Lambda handler takes over.
    """
    old = client.handler
    client.__class__ = _lambda_class(type(client))
    client._use_lambda(getattr(old, "enforce_csrf_checks", False), None, None, None, None)
    for name in ("_force_user", "_force_token"):
        if getattr(old, name, None) is not None:
            setattr(client.handler, name, getattr(old, name))
    return client


def _adopting(generic: Any, client_class: type) -> Any:
    from django_lambda_bridge.testing.clients import LambdaClientMixin
    from django_lambda_bridge.testing.to_event import CLIENT_URL_KEY

    @functools.wraps(generic)
    def wrapper(self: Any, method: str, path: Any, *args: Any, **extra: Any) -> Any:
        early = (
            _routing is not None
            and isinstance(self, client_class)
            and not isinstance(self, LambdaClientMixin)
        )
        if early and _adopt(self)._is_client_url(path, extra):
            extra[CLIENT_URL_KEY] = True
        return generic(self, method, path, *args, **extra)

    return wrapper


def route_clients(
    events: str,
    stage: str | None = None,
    handler: str | None = None,
    binary_media_types: Sequence[str] | None = None,
) -> None:
    """Make the standard test clients send every request through the Lambda handler.

    Patches ``django.test.Client`` (also what pytest-django's ``client`` fixture
    builds), ``SimpleTestCase.client_class`` and, when DRF is installed,
    ``rest_framework.test.APIClient`` and its test cases' ``client_class``.
    Test modules imported afterwards see the Lambda clients without changes; a
    client whose class was bound earlier (a root conftest's ``from
    rest_framework.test import APIClient``) becomes one at its first request.
    """
    global _routing
    media = tuple(binary_media_types) if binary_media_types is not None else None
    route = LambdaRoute(
        events, stage, handler, DEFAULT_BINARY_MEDIA_TYPES if media is None else media
    )
    import django.test
    import django.test.client
    from django.test import SimpleTestCase
    from django.test.client import AsyncClientHandler, ClientHandler, RequestFactory

    from django_lambda_bridge.testing.clients import LambdaClient

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
    if (RequestFactory, "generic") not in routing.originals:
        original_client = routing.originals[(django.test.client, "Client")]
        _patch(
            routing,
            RequestFactory,
            "generic",
            _adopting(RequestFactory.generic, original_client),
        )
    if (ClientHandler, "__call__") not in routing.originals:  # wrap once, count once
        _patch(routing, ClientHandler, "__call__", _counting(ClientHandler.__call__))
        _patch(
            routing,
            AsyncClientHandler,
            "__call__",
            _counting_async(AsyncClientHandler.__call__),
        )
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


def route_from_env() -> tuple[str, str | None, str | None, tuple[str, ...] | None] | None:
    """``route_clients`` arguments from ``$DJANGO_LAMBDA_EVENTS`` and friends, if set."""
    events = os.environ.get(ENV_EVENTS, "").strip()
    if not events:
        return None
    stage = os.environ.get(ENV_STAGE)
    media = os.environ.get(ENV_BINARY_MEDIA_TYPES)
    return (
        events,
        stage.strip() if stage is not None else None,
        os.environ.get(ENV_HANDLER) or None,
        parse_media_types(media) if media is not None else None,
    )


def route_clients_from_env() -> bool:
    """Apply ``$DJANGO_LAMBDA_EVENTS`` (and ``_STAGE``, ``_HANDLER``); True if it did."""
    wanted = route_from_env()
    if wanted is None:
        return False
    route_clients(*wanted)
    return True
