"""API Gateway WebSocket APIs: the event a route gets, its reply, and pushing to clients.

A WebSocket API calls the function for ``$connect``, ``$disconnect`` and each
message (routed by the API's route selection expression to a route key). The
function's reply is the route's answer: for ``$connect`` a 2xx status accepts
the connection and anything else refuses it. To send a client something later
(or from another event), post to its connection through the API Gateway
Management API, at ``https://{domainName}/{stage}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes.common import DictWrapper

from django_lambda_bridge.errors import HandlerReplyError, MalformedEventError

_clients: dict[tuple[str, str | None], Any] = {}
_clients_lock = threading.Lock()


def management_endpoint(request_context: Mapping[str, Any]) -> str:
    """The Management API endpoint for the API and stage an event came through.

    On the execute-api host it is ``https://{domainName}/{stage}``. Behind a
    custom domain the path depends on its API mappings, so the API's own
    execute-api host is used instead (``apiId`` and the function's region).
    """
    domain, stage = request_context.get("domainName"), request_context.get("stage")
    if not isinstance(domain, str) or not domain or not isinstance(stage, str) or not stage:
        raise MalformedEventError(
            "The WebSocket event's requestContext has no domainName and stage strings, so "
            "the Management API endpoint cannot be built; set "
            "LAMBDA_BRIDGE['WEBSOCKET_ENDPOINT_URL'] or pass endpoint_url=."
        )
    if ".execute-api." not in domain:
        api_id, region = request_context.get("apiId"), os.environ.get("AWS_REGION")
        if not (isinstance(api_id, str) and api_id and region):
            raise MalformedEventError(
                f"The WebSocket event came through the custom domain {domain!r} and the "
                "API's own host cannot be built (no requestContext.apiId or no AWS_REGION); "
                "set LAMBDA_BRIDGE['WEBSOCKET_ENDPOINT_URL'] or pass endpoint_url=."
            )
        domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    return f"https://{domain}/{stage}"


def management_client(endpoint_url: str, region_name: str | None = None) -> Any:
    """A boto3 ``apigatewaymanagementapi`` client for ``endpoint_url``, one per endpoint."""
    key = (endpoint_url, region_name)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3  # type: ignore[import-untyped, unused-ignore]  # not on the HTTP path

            client = boto3.session.Session().client(
                "apigatewaymanagementapi", endpoint_url=endpoint_url, region_name=region_name
            )
            _clients[key] = client
    return client


def reset_clients() -> None:
    """Forget the clients (their sockets and credentials), as after a SnapStart restore."""
    with _clients_lock:
        _clients.clear()


def encode_message(data: Any) -> bytes:
    """What ``post_to_connection`` sends: bytes as is, str as UTF-8, anything else as JSON."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    return json.dumps(data).encode()


class WebSocketEvent(DictWrapper):
    """One WebSocket event (``$connect``, ``$disconnect`` or a message), with ``send()``.

    Reads the event's fields without trusting their types; ``send``,
    ``connection`` and ``disconnect`` act on this event's connection.
    """

    def __init__(self, data: dict[str, Any], *, endpoint_url: str = "") -> None:
        super().__init__(data)
        self._endpoint_url = endpoint_url

    def __str__(self) -> str:
        # Powertools' str() lists every property; $connect headers and query strings
        # carry tokens and cookies, and a message body may hold anything.
        rc = self.request_context
        return (
            f"<WebSocketEvent {rc.get('eventType')!s} route_key={rc.get('routeKey')!r} "
            f"connection_id={rc.get('connectionId')!r}>"
        )

    __repr__ = __str__

    @property
    def request_context(self) -> Mapping[str, Any]:
        rc = self.get("requestContext")
        return rc if isinstance(rc, Mapping) else {}

    def _context_text(self, key: str) -> str:
        value = self.request_context.get(key)
        if not isinstance(value, str):
            raise MalformedEventError(f"The WebSocket event has no requestContext.{key} string.")
        return value

    @property
    def route_key(self) -> str:
        return self._context_text("routeKey")

    @property
    def event_type(self) -> str:
        """``CONNECT``, ``DISCONNECT`` or ``MESSAGE``."""
        return self._context_text("eventType")

    @property
    def connection_id(self) -> str:
        return self._context_text("connectionId")

    @property
    def stage(self) -> str:
        return self._context_text("stage")

    @property
    def source_ip(self) -> str | None:
        identity = self.request_context.get("identity")
        ip = identity.get("sourceIp") if isinstance(identity, Mapping) else None
        return ip if isinstance(ip, str) else None

    @property
    def headers(self) -> dict[str, str]:
        """``$connect`` only: the handshake's headers."""
        headers = self.get("headers")
        if not isinstance(headers, Mapping):
            return {}
        return {str(k): v for k, v in headers.items() if isinstance(v, str)}

    @property
    def query_string_parameters(self) -> dict[str, str]:
        """``$connect`` only: the handshake URL's query string."""
        params = self.get("queryStringParameters")
        if not isinstance(params, Mapping):
            return {}
        return {str(k): v for k, v in params.items() if isinstance(v, str)}

    @property
    def body(self) -> str | None:
        """A message's text (base64 frames decoded as UTF-8); ``None`` without one."""
        body = self.get("body")
        if body is None:
            return None
        if not isinstance(body, str):
            raise MalformedEventError("The WebSocket event's 'body' is not a string.")
        if self.get("isBase64Encoded") is True:
            try:
                return base64.b64decode(body, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise MalformedEventError(
                    "The WebSocket event's 'body' is marked base64 but is not base64 UTF-8."
                ) from None
        return body

    @property
    def json_body(self) -> Any:
        """The message parsed as JSON (what a route selection on ``$request.body`` saw)."""
        body = self.body
        if body is None:
            return None
        try:
            return json.loads(body)
        except ValueError:
            raise MalformedEventError("The WebSocket message body is not JSON.") from None

    @property
    def endpoint_url(self) -> str:
        """Where the Management API for this event's API and stage answers."""
        return self._endpoint_url or management_endpoint(self.request_context)

    def _client(self, client: Any) -> Any:
        return client if client is not None else management_client(self.endpoint_url)

    def send(self, data: Any, *, connection_id: str | None = None, client: Any = None) -> None:
        """Push ``data`` to this client (or to ``connection_id``) through the Management API.

        Raises the client's ``GoneException`` if the connection is closed.
        """
        self._client(client).post_to_connection(
            ConnectionId=connection_id or self.connection_id, Data=encode_message(data)
        )

    def connection(self, *, connection_id: str | None = None, client: Any = None) -> Any:
        """``get_connection``: when it connected, when it was last active, its identity."""
        return self._client(client).get_connection(ConnectionId=connection_id or self.connection_id)

    def disconnect(self, *, connection_id: str | None = None, client: Any = None) -> None:
        """Close this client's connection from the server side."""
        self._client(client).delete_connection(ConnectionId=connection_id or self.connection_id)


def websocket_reply(value: Any) -> dict[str, Any]:
    """The route's return value as the reply API Gateway expects.

    ``None``: 200. An int: that status. A str: the body. bytes: a base64 body.
    A dict with ``statusCode``: as given. Anything else JSON-able: a JSON body.
    """
    if value is None:
        return {"statusCode": 200}
    if isinstance(value, bool):
        raise HandlerReplyError(
            "A WebSocket route returned a bool; return None, a status int, a body, or a "
            "dict with 'statusCode'."
        )
    if isinstance(value, int):
        return {"statusCode": value}
    if isinstance(value, str):
        return {"statusCode": 200, "body": value}
    if isinstance(value, bytes):
        return {
            "statusCode": 200,
            "body": base64.b64encode(value).decode(),
            "isBase64Encoded": True,
        }
    if isinstance(value, Mapping) and "statusCode" in value:
        status = value["statusCode"]
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise HandlerReplyError(
                f"A WebSocket route replied statusCode={status!r}; it must be an int 100-599."
            )
        return dict(value)
    try:
        return {"statusCode": 200, "body": json.dumps(value)}
    except (TypeError, ValueError):
        raise HandlerReplyError(
            f"A WebSocket route returned a {type(value).__name__}, which is not JSON-able; "
            "return None, a status int, a str or bytes body, or a dict with 'statusCode'."
        ) from None
