"""REMOTE_ADDR comes from the connection AWS saw, never from a client-supplied header.

On API Gateway and Function URLs that is ``requestContext``'s source IP. An ALB
has none in the event; it appends the peer to X-Forwarded-For, so only the last
entry is trustworthy. apig-wsgi takes the *first* X-Forwarded-For entry (which
the client writes) on REST APIs and ALBs.
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.testing.events import DEFAULT_SOURCE_IP, http_event
from tests.http_support import (
    bare_apig_handler,
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

SPOOF = "6.6.6.6"
ALL = ["v1", "v2", "function-url", "alb", "alb-multi"]


@pytest.fixture(scope="module")
def handler():
    return make_handler()


@pytest.mark.parametrize("fmt", ALL)
def test_client_cannot_choose_its_address(handler, fmt):
    event = http_event(fmt, "GET", "/echo/", headers={"X-Forwarded-For": f"{SPOOF}, 7.7.7.7"})
    seen = echo(handler, event)
    assert seen["remote_addr"] == DEFAULT_SOURCE_IP
    # The header itself still reaches the app, unaltered apart from the ALB's addition.
    assert seen["headers"]["X-Forwarded-For"].startswith(SPOOF)


@pytest.mark.parametrize("fmt", ["v1", "alb", "alb-multi"])
def test_bare_apig_wsgi_trusts_the_spoofed_header(fmt):
    event = http_event(fmt, "GET", "/echo/", headers={"X-Forwarded-For": SPOOF})
    seen = json.loads(call(bare_apig_handler(), event).body)
    assert seen["remote_addr"] == SPOOF


@pytest.mark.parametrize("fmt", ALL)
def test_without_any_forwarding_header(handler, fmt):
    assert echo(handler, http_event(fmt, "GET", "/echo/"))["remote_addr"] == DEFAULT_SOURCE_IP


@pytest.mark.parametrize("fmt", ALL)
@pytest.mark.parametrize("address", ["2001:db8::1", "198.51.100.7"])
def test_ipv4_and_ipv6_sources(handler, fmt, address):
    assert echo(handler, http_event(fmt, "GET", "/echo/", source_ip=address))["remote_addr"] == (
        address
    )


@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url"])
def test_cidr_suffix_of_hand_made_events_is_dropped(handler, fmt):
    # AWS's own sample events say "192.168.0.1/32"; Django wants a bare address.
    seen = echo(handler, http_event(fmt, "GET", "/echo/", source_ip="192.168.0.1/32"))
    assert seen["remote_addr"] == "192.168.0.1"


def test_rest_event_without_identity_has_an_empty_address(handler):
    event = http_event("v1", "GET", "/echo/", headers={"X-Forwarded-For": SPOOF})
    del event["requestContext"]["identity"]
    assert echo(handler, event)["remote_addr"] == ""


@pytest.mark.parametrize("multi", [False, True])
def test_alb_health_check_without_forwarding_header(handler, multi):
    event = http_event("alb-multi" if multi else "alb", "GET", "/echo/")
    headers = event["multiValueHeaders" if multi else "headers"]
    del headers["x-forwarded-for"]
    assert echo(handler, event)["remote_addr"] == ""
