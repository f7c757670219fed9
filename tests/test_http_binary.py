"""Binary bodies: on for every format, with one sound text/binary rule.

apig-wsgi leaves binary off for REST APIs (a binary body then crashes it with
UnicodeDecodeError, a Lambda error), treats only text/* and JSON as text (so
XML, JavaScript, YAML and ``+xml`` types go out base64), and decodes request
bodies leniently. Our rule: any Content-Encoding is binary; the configured text
types and ``+json``/``+xml`` are text; text that is not UTF-8 falls back to base64.
"""

from __future__ import annotations

from base64 import b64encode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from django_lambda_bridge.testing.events import http_event
from tests.http_support import (
    ALL_FORMATS,
    bare_apig_handler,
    call,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

BYTES = bytes(range(256))


@pytest.fixture(scope="module")
def handler():
    return make_handler()


def raw_reply(handler, fmt, path, **kwargs):
    from django_lambda_bridge.testing import FakeContext

    return handler(http_event(fmt, "GET", path, **kwargs), FakeContext())


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_binary_response_is_base64_in_every_format(handler, fmt):
    reply = raw_reply(handler, fmt, "/binary/")
    assert reply["isBase64Encoded"] is True
    assert reply["body"] == b64encode(BYTES).decode()
    assert call(handler, http_event(fmt, "GET", "/binary/")).body == BYTES


def test_bare_apig_wsgi_crashes_on_binary_for_rest():
    with pytest.raises(UnicodeDecodeError):
        bare_apig_handler()(http_event("v1", "GET", "/binary/"))


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=utf-8",
        "text/csv",
        "application/json",
        "application/problem+json",
        "application/vnd.api+json",
        "application/ld+json; charset=utf-8",
        "application/xml",
        "application/atom+xml",
        "image/svg+xml",
        "application/javascript",
        "application/x-yaml",
        "application/yaml",
        "APPLICATION/JSON",
        "application/x-www-form-urlencoded",
    ],
)
def test_text_types_travel_as_text(handler, fmt, content_type):
    reply = raw_reply(handler, fmt, "/typed/", query={"type": content_type})
    assert reply["isBase64Encoded"] is False
    assert reply["body"] == "héllo <b>"


@pytest.mark.parametrize("content_type", ["application/xml", "application/javascript"])
def test_bare_apig_wsgi_base64s_common_text_types(content_type):
    reply = bare_apig_handler()(http_event("v2", "GET", "/typed/", query={"type": content_type}))
    assert reply["isBase64Encoded"] is True


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "application/zip"])
def test_binary_types_travel_as_base64(handler, fmt, content_type):
    reply = raw_reply(handler, fmt, "/typed/", query={"type": content_type})
    assert reply["isBase64Encoded"] is True


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate"])
def test_any_content_encoding_is_binary(handler, fmt, encoding):
    reply = raw_reply(
        handler, fmt, "/typed/", query={"type": "application/json", "encoding": encoding}
    )
    assert reply["isBase64Encoded"] is True
    assert call(handler, http_event(fmt, "GET", "/gzipped/")).body == b"\x1f\x8b\x08\x00fake"


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_identity_encoding_is_not_binary(handler, fmt):
    reply = raw_reply(handler, fmt, "/typed/", query={"type": "text/plain", "encoding": "identity"})
    assert reply["isBase64Encoded"] is False


def test_bare_apig_wsgi_crashes_on_gzip_for_rest():
    with pytest.raises(UnicodeDecodeError):
        bare_apig_handler()(http_event("v1", "GET", "/gzipped/"))


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_non_utf8_text_falls_back_to_base64(handler, fmt):
    reply = raw_reply(handler, fmt, "/latin1/")
    assert reply["isBase64Encoded"] is True
    assert call(handler, http_event(fmt, "GET", "/latin1/")).body == "café".encode("latin-1")


@pytest.mark.parametrize("fmt", ["v1", "v2", "alb"])
def test_bare_apig_wsgi_crashes_on_non_utf8_text(fmt):
    with pytest.raises(UnicodeDecodeError):
        bare_apig_handler()(http_event(fmt, "GET", "/latin1/"))


def test_text_types_are_configurable(settings):
    custom = "application/x-custom-text"
    assert raw_reply(make_handler(), "v2", "/typed/", query={"type": custom})["isBase64Encoded"]
    settings.LAMBDA_BRIDGE = {"TEXT_CONTENT_TYPES": ["text/", custom]}
    configured = make_handler()
    assert not raw_reply(configured, "v2", "/typed/", query={"type": custom})["isBase64Encoded"]
    # The list replaces the default one: JSON is now binary.
    assert raw_reply(configured, "v2", "/typed/", query={"type": "application/json"})[
        "isBase64Encoded"
    ]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_no_content_type_is_text_when_utf8(handler, fmt):
    assert raw_reply(handler, fmt, "/typed/", query={"type": ""})["isBase64Encoded"] is False


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_base64_request_body_is_decoded(handler, fmt):
    reply = call(handler, http_event(fmt, "POST", "/upload/", body=BYTES))
    assert reply.status == 200
    assert reply.body == BYTES


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_text_request_body_is_utf8(handler, fmt):
    reply = call(handler, http_event(fmt, "POST", "/upload/?type=text/plain", body="naïve ☃"))
    assert reply.body == "naïve ☃".encode()
    assert reply.header("Content-Length") == str(len("naïve ☃".encode()))


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_head_has_an_empty_body(handler, fmt):
    get = call(handler, http_event(fmt, "GET", "/binary/"))
    head = call(handler, http_event(fmt, "HEAD", "/binary/"))
    assert head.status == 200
    assert head.body == b""
    assert head.header("Content-Length") == get.header("Content-Length") == "256"


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_streaming_response_is_collected(handler, fmt):
    reply = call(handler, http_event(fmt, "GET", "/stream/"))
    assert (reply.status, reply.body) == (200, b"one,two")


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@hyp_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(min_size=1, max_size=4096))
def test_random_binary_bodies_round_trip(handler, fmt, body):
    event = http_event(fmt, "POST", "/upload/", body=body, base64=True)
    assert event["isBase64Encoded"] is True
    reply = call(handler, event)
    assert reply.status == 200
    assert reply.body == body


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@hyp_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=512))
def test_random_text_bodies_round_trip(handler, fmt, text):
    reply = call(handler, http_event(fmt, "POST", "/upload/?type=text/plain", body=text))
    assert reply.body == text.encode("utf-8")
