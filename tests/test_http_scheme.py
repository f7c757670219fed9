"""API Gateway and Function URLs are HTTPS-only: Django must see https and port 443.

apig-wsgi defaults to ``http`` and believes ``X-Forwarded-Proto``, so
``is_secure()`` is False, ``SECURE_SSL_REDIRECT`` loops and absolute URLs say
``http://``. An ALB can listen on plain HTTP too; it sets X-Forwarded-Proto
itself, and its (last) value is used.
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.testing.events import alb_event, http_event
from tests.http_support import (
    bare_apig_handler,
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

AWS_HTTPS_ONLY = ["v1", "v2", "function-url"]


@pytest.fixture(scope="module")
def handler():
    return make_handler()


@pytest.mark.parametrize("fmt", [*AWS_HTTPS_ONLY, "alb", "alb-multi"])
@pytest.mark.parametrize("claimed", [None, "http"])
def test_https_whatever_the_client_claims(handler, fmt, claimed):
    headers = {"X-Forwarded-Proto": claimed, "X-Forwarded-Port": "80"} if claimed else None
    if fmt.startswith("alb"):
        headers = None  # on an ALB the header is the ALB's own; see the ALB tests
    seen = echo(handler, http_event(fmt, "GET", "/echo/?a=1", headers=headers))
    assert seen["is_secure"] is True
    assert seen["absolute_uri"].startswith("https://")
    assert ":80" not in seen["absolute_uri"]
    assert ":443" not in seen["absolute_uri"]


@pytest.mark.parametrize("fmt", AWS_HTTPS_ONLY)
def test_bare_apig_wsgi_says_http(fmt):
    seen = json.loads(call(bare_apig_handler(), http_event(fmt, "GET", "/echo/")).body)
    assert seen["is_secure"] is False
    assert seen["absolute_uri"].startswith("http://")


@pytest.mark.parametrize("fmt", AWS_HTTPS_ONLY)
def test_secure_ssl_redirect_does_not_loop(handler, settings, fmt):
    settings.SECURE_SSL_REDIRECT = True
    assert call(handler, http_event(fmt, "GET", "/echo/")).status == 200
    assert call(bare_apig_handler(), http_event(fmt, "GET", "/echo/")).status == 301


@pytest.mark.parametrize("multi", [False, True])
def test_alb_plain_http_listener(handler, multi):
    seen = echo(handler, alb_event("GET", "/echo/", scheme="http", multi_value=multi))
    assert seen["is_secure"] is False
    assert seen["absolute_uri"] == "http://my-alb-1234567890.us-east-1.elb.amazonaws.com/echo/"


def test_alb_uses_the_proto_it_appended_last(handler):
    event = alb_event("GET", "/echo/", multi_value=True, scheme="http")
    event["multiValueHeaders"]["x-forwarded-proto"] = ["https", "http"]
    assert echo(handler, event)["is_secure"] is False


def test_alb_garbage_proto_falls_back_to_https(handler):
    event = alb_event("GET", "/echo/")
    event["headers"]["x-forwarded-proto"] = "gopher"
    assert echo(handler, event)["is_secure"] is True


def test_scheme_setting_for_local_emulation(settings):
    settings.LAMBDA_BRIDGE = {"SCHEME": "http"}
    seen = echo(make_handler(), http_event("v2", "GET", "/echo/", host="127.0.0.1:8000"))
    assert seen["is_secure"] is False
    assert seen["absolute_uri"] == "http://127.0.0.1:8000/echo/"
