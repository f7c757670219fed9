"""classify(): one ordered table tells every event shape apart and never raises on odd input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_lambda_bridge.errors import EventError, UnknownEventError
from django_lambda_bridge.kinds import TABLE, WARM_UP_MARKER, Kind, classify
from django_lambda_bridge.testing.events import http_event


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("v1", Kind.API_GATEWAY_V1),
        ("v2", Kind.API_GATEWAY_V2),
        ("function-url", Kind.FUNCTION_URL),
        ("alb", Kind.ALB),
        ("alb-multi", Kind.ALB),
    ],
)
def test_http_factories(fmt, kind):
    event = http_event(fmt, "GET", "/")
    assert classify(event) is kind
    assert kind.is_http


@pytest.mark.parametrize(
    "event",
    [
        {"raw_path": "/", "method": "GET", "headers": {}},
        {
            "version": "2.0",
            "path": "/",
            "method": "GET",
            "requestContext": {"serviceNetworkArn": "a"},
        },
    ],
    ids=["v1", "v2"],
)
def test_vpc_lattice_is_an_http_kind(event):
    assert classify(event) is Kind.VPC_LATTICE
    assert Kind.VPC_LATTICE.is_http


def test_v2_with_stage_is_still_v2():
    assert classify(http_event("v2", "GET", "/", stage="prod")) is Kind.API_GATEWAY_V2


def test_http_api_payload_v1_is_rest_shaped():
    event = http_event("v1", "GET", "/")
    event["version"] = "1.0"
    assert classify(event) is Kind.API_GATEWAY_V1


def test_broken_http_events_still_classify_as_http():
    """So that they get a 400 HTTP reply rather than a Lambda error."""
    v1 = http_event("v1", "GET", "/")
    v1["requestContext"] = "oops"
    assert classify(v1) is Kind.API_GATEWAY_V1
    v2 = http_event("v2", "GET", "/")
    del v2["requestContext"]
    assert classify(v2) is Kind.API_GATEWAY_V2


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ({"type": "TOKEN", "methodArn": "arn:x", "authorizationToken": "t"}, Kind.AUTHORIZER),
        (
            {"type": "REQUEST", "methodArn": "arn:x", "httpMethod": "GET", "path": "/"},
            Kind.AUTHORIZER,
        ),
        (
            {"version": "2.0", "type": "REQUEST", "routeArn": "arn:x", "rawPath": "/"},
            Kind.AUTHORIZER,
        ),
        ({"Records": [{"eventSource": "aws:sqs"}]}, Kind.SQS),
        ({"Records": [{"EventSource": "aws:sns"}]}, Kind.SNS),
        ({"Records": [{"eventSource": "aws:s3"}]}, Kind.S3),
        ({"Records": [{"eventSource": "aws:dynamodb"}]}, Kind.DYNAMODB),
        ({"Records": [{"eventSource": "aws:kinesis"}]}, Kind.KINESIS),
        (
            {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
            Kind.SCHEDULE,
        ),
        ({"detail-type": "Order placed", "source": "shop", "detail": {}}, Kind.EVENTBRIDGE),
        ({"awslogs": {"data": "H4sI"}}, Kind.CLOUDWATCH_LOGS),
        ({"deliveryStreamArn": "arn:x", "records": []}, Kind.FIREHOSE),
        ({WARM_UP_MARKER: True}, Kind.WARM_UP),
        ({"manage": ["check"]}, Kind.MANAGE),
        ({"invoke": "name", "payload": {}}, Kind.INVOKE),
    ],
)
def test_non_http_shapes(event, kind):
    assert classify(event) is kind
    assert not kind.is_http


def test_http_events_never_classify_as_manage():
    event = http_event("v1", "GET", "/")
    event["manage"] = ["flush"]
    assert classify(event) is Kind.API_GATEWAY_V1


@pytest.mark.parametrize(
    "event",
    [{}, {"foo": 1}, {"Records": []}, {"Records": ["x"]}, {"Records": [{"eventSource": 3}]}],
)
def test_unknown_shapes_name_their_keys(event):
    with pytest.raises(UnknownEventError) as caught:
        classify(event)
    message = str(caught.value)
    assert "top-level keys:" in message
    for key in event:
        assert key in message


@pytest.mark.parametrize("event", [None, [], "text", 3, 2.5, b"bytes"])
def test_non_objects_are_unknown(event):
    with pytest.raises(UnknownEventError, match="not a JSON object"):
        classify(event)


def test_unknown_event_is_a_bridge_error():
    assert issubclass(UnknownEventError, EventError)


def test_table_covers_every_kind():
    assert {kind for kind, _ in TABLE} == set(Kind)


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.text(max_size=12), c, max_size=4)
    ),
    max_leaves=10,
)
KEYS = st.sampled_from(
    [
        "requestContext",
        "httpMethod",
        "path",
        "version",
        "rawPath",
        "Records",
        "elb",
        "http",
        "domainName",
        "type",
        "methodArn",
        "detail-type",
        "source",
        "detail",
        "manage",
        "invoke",
        "warmup",
        "awslogs",
        "records",
        "deliveryStreamArn",
        "raw_path",
        "eventSource",
    ]
)


@given(st.dictionaries(KEYS, JSON, max_size=6) | JSON)
def test_classify_only_ever_raises_unknown_event(event):
    with contextlib.suppress(UnknownEventError):
        assert isinstance(classify(event), Kind)


def _by_table(event):
    for kind, matches in TABLE:
        if matches(event):
            return kind
    return None


RC_KEYS = st.sampled_from(
    ["elb", "http", "domainName", "serviceNetworkArn", "connectionId", "eventType", "stage"]
)
DOMAINS = st.sampled_from(["x.lambda-url.us-east-1.on.aws", "a.execute-api.x", 3, None])


@given(
    top=st.dictionaries(KEYS, JSON, max_size=6),
    rc=st.one_of(st.dictionaries(RC_KEYS, JSON | DOMAINS, max_size=4), JSON),
    version=st.sampled_from([None, "2.0", "1.0"]),
)
def test_http_fast_path_agrees_with_the_table(top, rc, version):
    """classify() short-cuts the common HTTP shapes; its answer must be the table's."""
    event = {**top, "requestContext": rc}
    if version:
        event["version"] = version
    try:
        got = classify(event)
    except UnknownEventError:
        got = None
    assert got is _by_table(event)


@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url", "alb", "alb-multi"])
def test_websocket_shaped_requests_are_not_taken_by_the_fast_path(fmt):
    from django_lambda_bridge.kinds import _http_fast_path

    event = http_event(fmt, "GET", "/")
    assert _http_fast_path(event) is classify(event)
    event["requestContext"]["connectionId"] = "abc="
    assert _http_fast_path(event) is None
