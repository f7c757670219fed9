"""The Lambda test clients, by their historical import path.

The work is split the way Django splits ``ClientHandler`` from ``Client``:
``loading`` (which handler answers), ``to_event`` (environ -> event),
``client_handler`` (the call), ``contract`` and ``to_response`` (reply ->
response), ``clients`` (the clients) and ``switch`` (routing a whole suite).
``LambdaAPIClient`` (DRF) is imported lazily, so projects without DRF can use
this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_lambda_bridge.testing.client_handler import LambdaClientHandler
from django_lambda_bridge.testing.clients import LambdaClient, LambdaClientMixin
from django_lambda_bridge.testing.contract import ContractDifference
from django_lambda_bridge.testing.env import ENV_HANDLER
from django_lambda_bridge.testing.loading import LambdaCallable, get_project_handler
from django_lambda_bridge.testing.route import LambdaRoute
from django_lambda_bridge.testing.seam import hook_wsgi_app, lambda_request_scope
from django_lambda_bridge.testing.switch import (
    ENV_BINARY_MEDIA_TYPES,
    ENV_EVENTS,
    ENV_STAGE,
    active_route,
    route_clients,
    route_clients_from_env,
    unroute_clients,
)
from django_lambda_bridge.testing.to_event import CLIENT_URL_KEY, DroppedEnvironWarning

if TYPE_CHECKING:
    from django_lambda_bridge.testing.drf_client import LambdaAPIClient

__all__ = [
    "CLIENT_URL_KEY",
    "ENV_BINARY_MEDIA_TYPES",
    "ENV_EVENTS",
    "ENV_HANDLER",
    "ENV_STAGE",
    "ContractDifference",
    "DroppedEnvironWarning",
    "LambdaAPIClient",
    "LambdaCallable",
    "LambdaClient",
    "LambdaClientHandler",
    "LambdaClientMixin",
    "LambdaRoute",
    "active_route",
    "get_project_handler",
    "hook_wsgi_app",
    "lambda_request_scope",
    "route_clients",
    "route_clients_from_env",
    "unroute_clients",
]


def __getattr__(name: str) -> Any:
    if name == "LambdaAPIClient":
        from django_lambda_bridge.testing.drf_client import LambdaAPIClient

        return LambdaAPIClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
