"""Duplicate response headers and several Set-Cookie headers survive every reply format.

v1 replies use ``multiValueHeaders``; v2 and Function URL replies carry cookies
in ``cookies`` and join other repeats with commas (RFC 9110 5.3); ALB replies
use ``multiValueHeaders`` in multi-value mode and, in single-value mode,
differently-cased keys (headers are case-insensitive on the wire). apig-wsgi
keeps only the last value of a repeated header in v2 replies and in ALB
single-value mode, which drops every Set-Cookie but one.
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.http.bridge import HttpBridge
from django_lambda_bridge.kinds import classify
from django_lambda_bridge.testing import FakeContext, decode_reply
from django_lambda_bridge.testing.events import http_event
from tests.http_support import (
    ALL_FORMATS,
    bare_apig_handler,
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
    reply_shape_ok,
)


@pytest.fixture(scope="module")
def handler():
    return make_handler()


def run_raw_app(fmt, headers, body=b"ok"):
    """A plain WSGI app may repeat any header (Django's API can't, except Set-Cookie)."""

    def app(environ, start_response):
        start_response("200 OK", headers)
        return [body]

    event = http_event(fmt, "GET", "/")
    reply = HttpBridge(app, BridgeSettings())(event, FakeContext(), classify(event))
    assert reply_shape_ok(reply, event), reply
    return reply


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_two_cookies_survive(handler, fmt):
    reply = call(handler, http_event(fmt, "GET", "/cookies/"))
    assert sorted(reply.all("Set-Cookie")) == ["first=1; Path=/", "second=2; Path=/"]
    assert reply.header("X-Custom") == "a"


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("count", [1, 3, 20])
def test_many_cookies_survive(fmt, count):
    cookies = [f"c{i}={i}; Path=/" for i in range(count)]
    reply = decode_reply(run_raw_app(fmt, [("Set-Cookie", c) for c in cookies]))
    assert sorted(reply.all("set-cookie")) == sorted(cookies)


def test_v2_puts_cookies_in_their_own_field(handler):
    reply = handler(http_event("v2", "GET", "/cookies/"), FakeContext())
    assert reply["cookies"] == ["first=1; Path=/", "second=2; Path=/"]
    assert "set-cookie" not in reply["headers"]


def test_alb_single_value_uses_case_variants(handler):
    reply = handler(http_event("alb", "GET", "/cookies/"), FakeContext())
    keys = [k for k in reply["headers"] if k.lower() == "set-cookie"]
    assert len(keys) == 2
    assert len(set(keys)) == 2


def test_bare_apig_wsgi_drops_the_second_cookie_on_alb_single_value():
    reply = decode_reply(bare_apig_handler()(http_event("alb", "GET", "/cookies/")))
    assert len(reply.all("Set-Cookie")) == 1


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_duplicate_headers_survive(fmt):
    reply = decode_reply(
        run_raw_app(fmt, [("Vary", "Cookie"), ("Vary", "Accept"), ("Link", "<a>"), ("Link", "<b>")])
    )
    values = ",".join(reply.all("Vary")).replace(" ", "")
    assert values == "Cookie,Accept"
    assert ",".join(reply.all("Link")) == "<a>,<b>"


def test_v2_joins_duplicates_with_commas():
    reply = run_raw_app("v2", [("Vary", "Cookie"), ("vary", "Accept")])
    assert reply["headers"]["vary"] == "Cookie,Accept"


def test_bare_apig_wsgi_keeps_only_the_last_v2_duplicate():
    from apig_wsgi import make_lambda_handler

    def app(environ, start_response):
        start_response("200 OK", [("Vary", "Cookie"), ("Vary", "Accept")])
        return [b"ok"]

    reply = make_lambda_handler(app)(http_event("v2", "GET", "/"), None)
    assert reply["headers"]["vary"] == "Accept"


def test_case_variants_run_out_gracefully():
    """A two-letter name has four spellings; the fifth value is comma-joined, not lost."""
    reply = run_raw_app("alb", [("Xy", str(i)) for i in range(6)])
    values = sorted(v for k, v in reply["headers"].items() if k.lower() == "xy")
    assert ",".join(values).replace(" ", "").split(",").count("5") == 1
    assert sorted(",".join(values).replace(" ", "").split(",")) == [str(i) for i in range(6)]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_set_cookie_leading_space_is_trimmed(handler, fmt):
    assert all(
        not c.startswith(" ")
        for c in call(handler, http_event(fmt, "GET", "/cookies/")).all("set-cookie")
    )


@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url", "alb-multi"])
def test_duplicate_request_headers_reach_django_joined(handler, fmt):
    seen = echo(handler, http_event(fmt, "GET", "/echo/", headers=[("X-Dup", "a"), ("X-Dup", "b")]))
    assert seen["headers"]["X-Dup"].replace(" ", "") == "a,b"


def test_alb_single_value_request_keeps_the_last_header(handler):
    # The ALB itself drops all but the last value in single-value mode.
    seen = echo(
        handler, http_event("alb", "GET", "/echo/", headers=[("X-Dup", "a"), ("X-Dup", "b")])
    )
    assert seen["headers"]["X-Dup"] == "b"


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_request_cookies_reach_django(handler, fmt):
    seen = echo(handler, http_event(fmt, "GET", "/echo/", headers={"Cookie": "a=1; b=2"}))
    assert seen["cookies"] == {"a": "1", "b": "2"}


@pytest.mark.parametrize("fmt", ["v1", "alb-multi"])
def test_separate_cookie_headers_are_joined_with_semicolons(handler, fmt):
    # HTTP/2 clients send one Cookie header per cookie.
    event = http_event(fmt, "GET", "/echo/", headers=[("Cookie", "a=1"), ("Cookie", "b=2")])
    assert echo(handler, event)["cookies"] == {"a": "1", "b": "2"}
    bare = json.loads(decode_reply(bare_apig_handler()(event)).body)
    assert bare["cookies"] != {"a": "1", "b": "2"}


@pytest.mark.parametrize("fmt", ["v1", "alb"])
def test_null_multi_value_maps_fall_back_to_single_value_ones(handler, fmt):
    """Console test events send ``multiValueHeaders: null``; apig-wsgi then loses every header."""
    event = http_event(fmt, "GET", "/echo/?q=1", headers={"X-Test": "yes"})
    event["multiValueHeaders"] = None
    event["multiValueQueryStringParameters"] = None
    event["queryStringParameters"] = {"q": "1"}
    event.setdefault("headers", {})["X-Test"] = "yes"
    seen = echo(handler, event)
    assert seen["headers"]["X-Test"] == "yes"
    assert seen["query"] == {"q": ["1"]}
