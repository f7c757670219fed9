"""Errors become replies in the event's own format, never a Lambda error (API Gateway's 502).

- A view's exception: Django answers 500 itself; we log it with the Lambda and
  API Gateway request ids, and ``RAISE_EXCEPTIONS`` re-raises it instead.
- An exception that escapes Django (a streaming body that fails, for example):
  a 500 ``application/problem+json`` reply naming the request id. apig-wsgi
  lets it escape, and API Gateway turns that into an opaque 502.
- A reply over the source's size limit (6 MB; 1 MB for an ALB): a 502 problem
  reply naming the limit, logged. apig-wsgi returns it and Lambda fails it.
- A non-HTTP event reaching a handler with nothing to route it: a clear error
  naming the event's top-level keys.
"""

from __future__ import annotations

import json
import logging

import pytest

from django_lambda_bridge.errors import EventError, UnknownEventError
from django_lambda_bridge.http.response import SIZE_LIMITS
from django_lambda_bridge.kinds import Kind
from django_lambda_bridge.testing import FakeContext
from django_lambda_bridge.testing.events import http_event
from tests.http_support import (
    ALL_FORMATS,
    bare_apig_handler,
    call,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

MB = 1024 * 1024
KIND_OF = {
    "v1": Kind.API_GATEWAY_V1,
    "v2": Kind.API_GATEWAY_V2,
    "function-url": Kind.FUNCTION_URL,
    "alb": Kind.ALB,
    "alb-multi": Kind.ALB,
}


@pytest.fixture(scope="module")
def handler():
    return make_handler()


def problem(reply):
    assert reply.header("Content-Type") == "application/problem+json"
    return json.loads(reply.body)


# --- exceptions -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_view_exception_is_a_500_reply_logged_with_request_ids(handler, caplog, fmt):
    event = http_event(fmt, "GET", "/boom/")
    context = FakeContext()
    with caplog.at_level(logging.ERROR, logger="django_lambda_bridge"):
        reply = call(handler, event, context)
    assert reply.status == 500
    ours = [r for r in caplog.records if r.name.startswith("django_lambda_bridge")]
    assert len(ours) == 1
    message = ours[0].getMessage()
    assert context.aws_request_id in message
    assert "/boom/" in message
    assert "RuntimeError" in message
    # The traceback is Django's own django.request record; ours adds only the ids.
    assert ours[0].exc_info is None
    if fmt in ("v1", "v2"):
        assert event["requestContext"]["requestId"] in message


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_exception_escaping_django_is_a_500_problem_reply(handler, caplog, fmt):
    context = FakeContext()
    with caplog.at_level(logging.ERROR, logger="django_lambda_bridge.http"):
        reply = call(handler, http_event(fmt, "GET", "/broken-stream/"), context)
    assert reply.status == 500
    document = problem(reply)
    assert document["status"] == 500
    assert document["request_id"] == context.aws_request_id
    assert "stream broke" not in reply.body.decode()  # no internals leak to the client
    assert any(context.aws_request_id in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("fmt", ["v1", "v2", "alb"])
def test_bare_apig_wsgi_lets_it_escape(fmt):
    with pytest.raises(RuntimeError, match="stream broke"):
        bare_apig_handler()(http_event(fmt, "GET", "/broken-stream/"))


@pytest.mark.parametrize("path", ["/boom/", "/broken-stream/"])
def test_raise_exceptions_opt_in(settings, path):
    settings.LAMBDA_BRIDGE = {"RAISE_EXCEPTIONS": True}
    with pytest.raises(RuntimeError, match=r"boom|stream broke"):
        make_handler()(http_event("v2", "GET", path), FakeContext())


def test_raise_exceptions_leaves_normal_requests_alone(settings):
    settings.LAMBDA_BRIDGE = {"RAISE_EXCEPTIONS": True}
    assert call(make_handler(), http_event("v2", "GET", "/echo/")).status == 200


def test_django_test_client_is_not_affected(client, caplog):
    """The exception hook only logs requests that came through Lambda."""
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django_lambda_bridge"):
        assert client.get("/boom/").status_code == 500
    assert not [r for r in caplog.records if r.name.startswith("django_lambda_bridge")]


# --- response size ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_oversized_reply_is_a_502_naming_the_limit(handler, caplog, fmt):
    limit = SIZE_LIMITS[KIND_OF[fmt]]
    assert limit == (1 * MB if fmt.startswith("alb") else 6 * MB)
    with caplog.at_level(logging.ERROR, logger="django_lambda_bridge.http"):
        reply = call(handler, http_event(fmt, "GET", f"/big/?bytes={limit + 1}"))
    assert reply.status == 502
    document = problem(reply)
    assert document["limit_bytes"] == limit
    assert document["size_bytes"] > limit
    assert str(limit) in document["detail"]
    assert any("too large" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_reply_just_under_the_limit_passes(handler, fmt):
    limit = SIZE_LIMITS[KIND_OF[fmt]]
    reply = call(handler, http_event(fmt, "GET", f"/big/?bytes={limit - 4096}"))
    assert reply.status == 200
    assert len(reply.body) == limit - 4096


def test_base64_growth_counts(handler, settings):
    """4.6 MB of binary is 6.1 MB once base64-encoded: over the limit."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    size = int(4.6 * MB)
    reply = call(handler, http_event("v2", "GET", "/upload/?type=image/png", body=b"\0" * size))
    assert reply.status == 502


@pytest.mark.parametrize("fmt", ["v2", "alb"])
def test_json_escaping_growth_counts(handler, fmt):
    """Control characters take six bytes each in the JSON Lambda sends."""
    limit = SIZE_LIMITS[KIND_OF[fmt]]
    chars = limit // 5  # a fifth of the limit as characters, 1.2x the limit as JSON
    assert call(handler, http_event(fmt, "GET", f"/escaped/?chars={chars}")).status == 502


def test_bare_apig_wsgi_returns_the_oversized_reply():
    reply = bare_apig_handler()(http_event("alb", "GET", f"/big/?bytes={2 * MB}"))
    assert len(json.dumps(reply)) > SIZE_LIMITS[Kind.ALB]


def test_size_limit_is_configurable(settings):
    settings.LAMBDA_BRIDGE = {"RESPONSE_SIZE_LIMIT": 100_000}
    handler = make_handler()
    assert call(handler, http_event("v2", "GET", "/big/?bytes=90000")).status == 200
    reply = call(handler, http_event("v2", "GET", "/big/?bytes=100001"))
    assert reply.status == 502
    assert problem(reply)["limit_bytes"] == 100_000


# --- non-HTTP and unknown events --------------------------------------------------------


def test_unknown_event_names_its_keys(handler, caplog):
    with pytest.raises(UnknownEventError, match=r"top-level keys: alpha, beta"):
        handler({"beta": 1, "alpha": {"secret": "do-not-log"}}, FakeContext())
    assert "do-not-log" not in caplog.text


@pytest.mark.parametrize("event", [[1, 2], "text", None, 42])
def test_non_object_event_says_what_it_is(handler, event):
    with pytest.raises(UnknownEventError, match="not a JSON object"):
        handler(event, FakeContext())


def test_non_http_event_without_a_router_names_its_keys(handler):
    event = {"type": "TOKEN", "methodArn": "arn:aws:execute-api:...", "authorizationToken": "t0k"}
    with pytest.raises(EventError) as caught:
        handler(event, FakeContext())
    for key in ("authorizationToken", "methodArn", "type"):
        assert key in str(caught.value)
    assert "t0k" not in str(caught.value)
