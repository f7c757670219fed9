"""API Gateway WebSocket events: one kind, routed by route key, replied to as API Gateway
expects, and answered later through the Management API (on the moto server)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from django_lambda_bridge.errors import HandlerReplyError, MalformedEventError, NoRouteError
from django_lambda_bridge.events.websocket import (
    WebSocketEvent,
    management_endpoint,
    websocket_reply,
)
from django_lambda_bridge.kinds import Kind, classify
from django_lambda_bridge.testing import FakeContext, websocket_event
from tests.http_support import SAMPLES_DIR

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route_key", ["$connect", "$disconnect", "$default", "sendmessage"])
def test_every_websocket_event_is_one_kind(route_key):
    event = websocket_event(route_key, {"action": route_key})
    assert classify(event) is Kind.WEBSOCKET
    assert not Kind.WEBSOCKET.is_http


def test_a_connect_carrying_rest_keys_is_still_websocket():
    """$connect is a handshake with headers: it must never reach a Django view."""
    event = websocket_event("$connect")
    event.update(httpMethod="GET", path="/", resource="/")
    assert classify(event) is Kind.WEBSOCKET


@pytest.mark.skipif(not SAMPLES_DIR.is_dir(), reason="AWS event samples not found")
@pytest.mark.parametrize(
    ("name", "route_key"),
    [
        ("apiGatewayWebSocketApiConnect.json", "$connect"),
        ("apiGatewayWebSocketApiDisconnect.json", "$disconnect"),
        ("apiGatewayWebSocketApiMessage.json", "chat"),
    ],
)
def test_aws_samples_reach_their_route(router, run, name, route_key):
    seen = []
    router.websocket(route_key)(lambda event: seen.append(event.route_key))
    reply = run(json.loads((SAMPLES_DIR / name).read_text()))
    assert seen == [route_key]
    assert reply == {"statusCode": 200}


@pytest.mark.skipif(not SAMPLES_DIR.is_dir(), reason="AWS event samples not found")
@pytest.mark.parametrize(
    "name",
    [
        "apiGatewayWebSocketApiConnect.json",
        "apiGatewayWebSocketApiDisconnect.json",
        "apiGatewayWebSocketApiMessage.json",
    ],
)
def test_the_factory_has_every_key_aws_sends(name):
    from tests.events.test_records_and_kinds import missing_keys, shape

    expected = json.loads((SAMPLES_DIR / name).read_text())
    route_key = expected["requestContext"]["routeKey"]
    built = websocket_event(route_key, "x")
    ignore = {".headers.x-api-key", ".headers.x-restapi"}  # the sample's own API's headers
    ignore |= {".multiValueHeaders.x-api-key", ".multiValueHeaders.x-restapi"}
    assert [g for g in missing_keys(shape(expected), shape(built)) if g not in ignore] == []
    assert set(built) == set(expected)


def test_routes_by_route_key(router, run):
    router.websocket("$connect")(lambda event: 200)
    router.websocket("sendmessage")(lambda event: {"echo": event.json_body["text"]})
    router.websocket("$default")(lambda event: "what?")

    assert run(websocket_event("$connect")) == {"statusCode": 200}
    reply = run(websocket_event("sendmessage", {"action": "sendmessage", "text": "hi"}))
    assert reply == {"statusCode": 200, "body": json.dumps({"echo": "hi"})}
    assert run(websocket_event("$default", "?")) == {"statusCode": 200, "body": "what?"}


def test_the_handler_can_refuse_a_connection(router, run):
    router.websocket("$connect")(
        lambda event: 200 if event.query_string_parameters.get("token") == "ok" else 403
    )
    assert run(websocket_event("$connect", query={"token": "ok"})) == {"statusCode": 200}
    assert run(websocket_event("$connect", query={"token": "no"})) == {"statusCode": 403}


def test_an_unrouted_route_key_names_the_routes(router, run):
    router.websocket("$connect")(lambda event: None)
    with pytest.raises(NoRouteError, match=r"'sendmessage'.*@events.websocket\('\$connect'\)"):
        run(websocket_event("sendmessage", "x"))


def test_a_catch_all_route_and_a_keyed_route_conflict(router):
    router.websocket()(lambda event: None)
    router.websocket("$connect")(lambda event: None)
    assert len(router.conflicts()) == 1


@pytest.mark.parametrize(
    ("value", "reply"),
    [
        (None, {"statusCode": 200}),
        (204, {"statusCode": 204}),
        ("text", {"statusCode": 200, "body": "text"}),
        (b"\x00\xff", {"statusCode": 200, "body": "AP8=", "isBase64Encoded": True}),
        ([1, 2], {"statusCode": 200, "body": "[1, 2]"}),
        ({"statusCode": 400, "body": "no"}, {"statusCode": 400, "body": "no"}),
    ],
)
def test_replies(value, reply):
    assert websocket_reply(value) == reply


@pytest.mark.parametrize("value", [True, {"statusCode": "200"}, {"statusCode": 99}, object()])
def test_bad_replies_are_refused(value):
    with pytest.raises(HandlerReplyError):
        websocket_reply(value)


def test_malformed_events_name_the_field(router, run):
    router.websocket()(lambda event: event.body)
    event = websocket_event("chat", "x")
    event["body"] = 42
    with pytest.raises(MalformedEventError, match="'body'"):
        run(event)
    event = websocket_event("chat", "x")
    event["requestContext"]["routeKey"] = ["chat"]
    assert classify(event) is Kind.WEBSOCKET
    with pytest.raises(MalformedEventError, match="routeKey"):
        run(event)


def test_base64_frames_are_decoded():
    event = websocket_event("chat")
    event["body"], event["isBase64Encoded"] = base64.b64encode("héllo".encode()).decode(), True
    assert WebSocketEvent(event).body == "héllo"


def test_management_endpoint_from_the_event(monkeypatch):
    rc = websocket_event("chat", "x", api_id="abc", stage="dev")["requestContext"]
    assert management_endpoint(rc) == "https://abc.execute-api.us-east-1.amazonaws.com/dev"
    # Behind a custom domain the API's own host is used (its mappings are unknown here).
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    rc = websocket_event("chat", "x", api_id="abc", domain_name="ws.example.com")
    assert (
        management_endpoint(rc["requestContext"])
        == "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
    )
    with pytest.raises(MalformedEventError, match="WEBSOCKET_ENDPOINT_URL"):
        management_endpoint({})


# ----- the Management API, on the moto server ---------------------------------------------


@pytest.fixture
def management(moto_server):
    """A Management API client on moto.

    moto's server recognises the Management API only at ``/@connections`` (no stage
    prefix, unlike AWS's ``https://{domainName}/{stage}``), so tests point the
    endpoint override at its root.
    """
    pytest.importorskip("moto.apigatewaymanagementapi")
    return moto_server.client("apigatewaymanagementapi")


def posted(connection_id):
    """What moto recorded as posted to a connection (it has no read API for it)."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    backend = apigatewaymanagementapi_backends["123456789012"]["us-east-1"]
    connection = backend.connections.get(connection_id)
    return None if connection is None else connection.data


def test_send_reaches_the_connection(router, run, management):
    connection_id = uuid.uuid4().hex[:12]

    @router.websocket("sendmessage")
    def echo(event):
        event.send({"echo": event.json_body["text"]}, client=management)
        event.send("and bye", client=management)

    run(websocket_event("sendmessage", {"text": "hi"}, connection_id=connection_id))
    assert "ConnectedAt" in management.get_connection(ConnectionId=connection_id)
    assert posted(connection_id) == b'{"echo": "hi"}and bye'


def test_the_endpoint_setting_is_used_through_real_boto3(
    router, run, moto_server, management, monkeypatch
):
    """No client given: one is built for WEBSOCKET_ENDPOINT_URL, with the process's credentials."""
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    connection_id = uuid.uuid4().hex[:12]
    router.websocket("$default")(lambda event: event.send(event.body.upper()))
    router.websocket("$disconnect")(lambda event: event.disconnect())
    endpoint = moto_server.endpoint_url
    event = websocket_event("$default", "ping", connection_id=connection_id)
    reply = run(event, FakeContext(), websocket_endpoint_url=endpoint)
    assert reply == {"statusCode": 200}
    assert posted(connection_id) == b"PING"

    event = websocket_event("$disconnect", connection_id=connection_id)
    assert run(event, FakeContext(), websocket_endpoint_url=endpoint) == {"statusCode": 200}
    assert posted(connection_id) is None  # deleted


def test_str_and_repr_carry_no_credentials():
    event = WebSocketEvent(
        websocket_event(
            "$connect",
            connection_id="c-1",
            headers={"Authorization": "Bearer s3cr3t", "Cookie": "sessionid=k3y"},
            query={"token": "t0ken"},
        )
    )
    for text in (str(event), repr(event), f"{event}"):
        assert "c-1" in text
        assert "$connect" in text
        for secret in ("s3cr3t", "k3y", "t0ken"):
            assert secret not in text
    message = WebSocketEvent(websocket_event("chat", {"password": "hunter2"}))
    assert "hunter2" not in str(message)


def test_a_custom_domain_without_a_region_asks_for_the_endpoint_setting(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    rc = websocket_event("chat", "x", api_id="abc", domain_name="ws.example.com")
    # Guessing the custom domain plus stage would be wrong under API mappings.
    with pytest.raises(MalformedEventError, match="WEBSOCKET_ENDPOINT_URL"):
        management_endpoint(rc["requestContext"])
