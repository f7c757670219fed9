"""Any string in an HTTP event, however odd (non-ASCII, lone surrogates), gets a reply under 500.

Events are JSON, and JSON can carry lone surrogates (``"\\udcff"``) that no
UTF-8 encoder accepts; Django's WSGI layer needs latin-1 strings. A stage name,
method, path, header, query, cookie or body holding such text must give a 400
naming the field (or be served), never a 500 or a Lambda error.
"""

from __future__ import annotations

import json
import os

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from django_lambda_bridge.testing import FakeContext, decode_reply
from django_lambda_bridge.testing.events import http_event
from tests.http_lattice import lattice_event
from tests.http_support import (
    ALL_FORMATS,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
    reply_shape_ok,
)

ODD = st.one_of(
    st.sampled_from(["\udcff", "\ud800x", "☃", "é", "\x00", "GET\udc80", "", "😀", "ÿ"]),
    st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=6),
)
FORMATS = [*ALL_FORMATS, "lattice-v1", "lattice-v2"]

#: Where a string sits in each format: (dotted path, is it a map key?)
PLACES = {
    "v1": [
        "httpMethod",
        "path",
        "requestContext.stage",
        "requestContext.path",
        "requestContext.domainName",
        "requestContext.identity.sourceIp",
        "body",
        "headers.X-A",
        "multiValueHeaders.X-A.0",
        "queryStringParameters.q",
        "multiValueQueryStringParameters.q.0",
        "requestContext.requestId",
    ],
    "v2": [
        "requestContext.http.method",
        "rawPath",
        "rawQueryString",
        "requestContext.stage",
        "requestContext.domainName",
        "requestContext.http.sourceIp",
        "requestContext.http.protocol",
        "headers.x-a",
        "cookies.0",
        "body",
    ],
    "alb": [
        "httpMethod",
        "path",
        "headers.x-a",
        "headers.x-forwarded-for",
        "queryStringParameters.q",
        "body",
    ],
    "lattice-v1": ["method", "raw_path", "headers.x-a", "query_string_parameters.q", "body"],
    "lattice-v2": ["method", "path", "headers.x-a.0", "queryStringParameters.q.0", "body"],
}
PLACES["function-url"] = PLACES["v2"]
PLACES["alb-multi"] = [
    "httpMethod",
    "path",
    "multiValueHeaders.x-a.0",
    "multiValueQueryStringParameters.q.0",
    "body",
]


def _event(fmt):
    if fmt.startswith("lattice"):
        return lattice_event(int(fmt[-1]), "GET", "/echo/?q=1", headers=[("x-a", "1")])
    event = http_event(
        fmt, "GET", "/echo/", query={"q": "1"}, headers={"X-A": "1", "Cookie": "c=1"}
    )
    if fmt == "v2" or fmt == "function-url":
        event["cookies"] = ["c=1"]
    return event


def _put(event, dotted, value, as_key):
    *parents, last = dotted.split(".")
    node = event
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    elif as_key:
        node[value] = node.pop(last, "1")
    else:
        node[last] = value


@pytest.fixture(scope="module")
def handler():
    return make_handler()


@hyp_settings(
    max_examples=int(os.environ.get("DLB_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), fmt=st.sampled_from(FORMATS))
def test_odd_text_anywhere_never_answers_500(handler, data, fmt):
    event = _event(fmt)
    for _ in range(data.draw(st.integers(1, 3))):
        place = data.draw(st.sampled_from(PLACES[fmt]))
        as_key = place.split(".")[0] in (
            "headers",
            "queryStringParameters",
            "query_string_parameters",
        ) and data.draw(st.booleans())
        _put(event, place, data.draw(ODD), as_key and not place.endswith(".0"))
    reply = handler(event, FakeContext())  # must not raise
    assert reply_shape_ok(reply, event), reply
    decoded = decode_reply(reply)
    hypothesis.event(f"status {decoded.status}")
    assert decoded.status < 500, (event, decoded.body[:500])
    if decoded.header("Content-Type") == "application/problem+json":
        detail = json.loads(decoded.body)["detail"]
        assert "could not be translated" not in detail, event


@pytest.mark.parametrize(
    ("fmt", "place", "value", "words"),
    [
        ("v1", "httpMethod", "G\udcffT", "'httpMethod'"),
        ("v1", "httpMethod", "GÉT", "'httpMethod'"),
        ("v2", "requestContext.http.method", "\ud800", "requestContext.http.method"),
        ("v1", "requestContext.stage", "st\udcffage", "requestContext.stage"),
        ("v2", "requestContext.stage", "prød", "requestContext.stage"),
        ("v1", "path", "/echo/\udcff", "'path'"),
        ("v1", "requestContext.path", "/prod\udcff/echo/", "requestContext.path"),
        ("v2", "rawPath", "/\ud800", "rawPath"),
        ("v2", "rawQueryString", "q=\udcff", "rawQueryString"),
        ("alb", "headers.x-a", "\udcff", "headers"),
        ("v1", "multiValueHeaders.X-A.0", "\udcff", "multiValueHeaders"),
        ("v2", "cookies.0", "c=\udcff", "cookies"),
        ("alb", "queryStringParameters.q", "\udcff", "queryStringParameters"),
        ("v2", "body", "\udcff", "'body'"),
        ("lattice-v2", "method", "\udcff", "'method'"),
        ("lattice-v1", "headers.x-a", "\udcff", "headers"),
    ],
)
def test_lone_surrogates_are_a_400_naming_the_field(handler, fmt, place, value, words):
    event = _event(fmt)
    _put(event, place, value, as_key=False)
    decoded = decode_reply(handler(event, FakeContext()))
    assert decoded.status == 400
    assert decoded.header("Content-Type") == "application/problem+json"
    assert words in json.loads(decoded.body)["detail"]
