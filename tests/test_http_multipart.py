"""A Content-Type holding a comma (a quoted multipart boundary) reaches Django whole.

HTTP API (payload 2.0) events carry headers as single strings; apig-wsgi
splits Content-Type on commas and keeps the last piece, so
``multipart/form-data; boundary="a,b"`` became ``b"`` and the upload was lost.
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.testing.events import http_event
from tests.http_support import (
    ALL_FORMATS,
    bare_apig_handler,
    call,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

BOUNDARY = "a,b=c"
CONTENT_TYPE = f'multipart/form-data; boundary="{BOUNDARY}"'


def multipart_body(boundary):
    return (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        "Dune, 1965\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="upload"; filename="notes.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "spice, worms\r\n"
        f"--{boundary}--\r\n"
    ).encode()


@pytest.fixture(scope="module")
def handler():
    return make_handler()


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_multipart_upload_with_a_comma_in_the_boundary(handler, fmt):
    event = http_event(
        fmt,
        "POST",
        "/multipart/",
        headers={"Content-Type": CONTENT_TYPE},
        body=multipart_body(BOUNDARY),
        base64=True,
    )
    reply = call(handler, event)
    assert reply.status == 200, reply.body
    seen = json.loads(reply.body)
    assert seen["content_type"] == CONTENT_TYPE
    assert seen["fields"] == {"title": ["Dune, 1965"]}
    assert seen["files"] == {"upload": "spice, worms"}


def test_bare_apig_wsgi_cuts_the_content_type():
    event = http_event(
        "v2",
        "POST",
        "/multipart/",
        headers={"Content-Type": CONTENT_TYPE},
        body=multipart_body(BOUNDARY),
    )
    reply = call(bare_apig_handler(), event)
    assert reply.status != 200 or json.loads(reply.body)["content_type"] != CONTENT_TYPE
