"""Malformed HTTP events get a 400 problem reply in their own format, never a traceback.

apig-wsgi indexes events directly, so a missing key or a wrong type raises
KeyError/TypeError out of the handler (a Lambda error, API Gateway's 502), and
it decodes bad base64 leniently (a corrupt upload is silently truncated).
Property tests mutate real events at random and require a well-formed reply
that is either our 400 or what Django would answer anyway.
"""

from __future__ import annotations

import json
import os

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from django_lambda_bridge.errors import UnknownEventError
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


def _set(event, dotted, value):
    *parents, last = dotted.split(".")
    target = event
    for key in parents:
        target = target[key]
    if value is DELETE:
        target.pop(last, None)
    else:
        target[last] = value


DELETE = object()

MALFORMED = [
    # (formats, dotted key, value, words the 400's detail must contain)
    (ALL_FORMATS, "requestContext", DELETE, "requestContext"),
    (ALL_FORMATS, "requestContext", "oops", "requestContext"),
    (ALL_FORMATS, "body", 12, "'body'"),
    (ALL_FORMATS, "body", {"a": 1}, "'body'"),
    (ALL_FORMATS, "isBase64Encoded", "true", "isBase64Encoded"),
    (["v1", "alb", "alb-multi"], "path", DELETE, "'path'"),
    (["v1", "alb", "alb-multi"], "path", 5, "'path'"),
    (["v1", "alb", "alb-multi"], "path", "no-slash", "'path'"),
    (["v1", "alb", "alb-multi"], "httpMethod", None, "'httpMethod'"),
    (["v1", "alb"], "headers", ["Host", "x"], "'headers'"),
    (["v1", "alb"], "headers.X-Num", 5, "headers"),
    (["v1", "alb-multi"], "multiValueHeaders", {"x": "not-a-list"}, "multiValueHeaders"),
    (["v1", "alb-multi"], "multiValueHeaders", {"x": [1]}, "multiValueHeaders"),
    (["v1"], "queryStringParameters", {"q": 1}, "queryStringParameters"),
    (
        ["v1", "alb-multi"],
        "multiValueQueryStringParameters",
        "q=1",
        "multiValueQueryStringParameters",
    ),
    (["v2", "function-url"], "requestContext.http", DELETE, "requestContext.http"),
    (["v2", "function-url"], "requestContext.http.method", 3, "method"),
    (["v2", "function-url"], "rawPath", DELETE, "rawPath"),
    (["v2", "function-url"], "rawPath", "relative", "rawPath"),
    (["v2", "function-url"], "rawQueryString", 7, "rawQueryString"),
    (["v2", "function-url"], "cookies", "a=1", "cookies"),
    (["v2", "function-url"], "cookies", [1], "cookies"),
    (["v2", "function-url"], "headers", "host: x", "'headers'"),
]
CASES = [
    pytest.param(
        fmt, key, value, words, id=f"{fmt}-{key}-{value if value is not DELETE else 'missing'}"
    )
    for formats, key, value, words in MALFORMED
    for fmt in formats
]


@pytest.mark.parametrize(("fmt", "key", "value", "words"), CASES)
def test_malformed_event_is_a_400_in_its_format(handler, caplog, fmt, key, value, words):
    event = http_event(fmt, "GET", "/echo/", headers={"X-A": "1"}, body="x")
    _set(event, key, value)
    context = FakeContext()
    reply = call(handler, event, context)
    assert reply.status == 400, reply
    assert reply.header("Content-Type") == "application/problem+json"
    document = json.loads(reply.body)
    assert words in document["detail"]
    assert "Traceback" not in reply.body.decode()
    assert any(context.aws_request_id in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("body", ["not base64!", "QUJDR", "QUJ", "Zm9v\x00", "Q=UJD"])
def test_invalid_base64_is_a_400(handler, fmt, body):
    event = http_event(fmt, "POST", "/upload/")
    event["body"] = body
    event["isBase64Encoded"] = True
    reply = call(handler, event)
    assert reply.status == 400
    assert "base64" in json.loads(reply.body)["detail"]


def test_bare_apig_wsgi_truncates_bad_base64_silently():
    event = http_event("v2", "POST", "/upload/")
    event["body"], event["isBase64Encoded"] = "QUJD!!!!REVG", True
    assert decode_reply(bare_apig_handler()(event)).body == b"ABCDEF"  # '!' just dropped


@pytest.mark.parametrize(
    ("fmt", "key"),
    [("v1", "httpMethod"), ("v2", "requestContext"), ("alb", "path"), ("v2", "headers")],
)
def test_bare_apig_wsgi_raises_on_missing_keys(fmt, key):
    event = http_event(fmt, "GET", "/echo/")
    if key == "headers":
        event["headers"] = None
    else:
        del event[key]
    with pytest.raises((KeyError, TypeError, AttributeError)):
        bare_apig_handler()(event)


@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url"])
def test_missing_host_uses_the_domain_name(handler, fmt):
    """AWS's own sample events have no Host header; Django would reject them (400)."""
    event = http_event(fmt, "GET", "/echo/")
    for key in ("headers", "multiValueHeaders"):
        if event.get(key):
            event[key] = {k: v for k, v in event[key].items() if k.lower() != "host"}
    seen = echo(handler, event)
    assert seen["absolute_uri"].startswith(f"https://{event['requestContext']['domainName']}/")
    assert call(bare_apig_handler(), event).status == 400


@pytest.mark.parametrize("fmt", ["v1", "v2", "alb", "alb-multi"])
def test_non_latin1_headers_cookies_and_query(handler, fmt):
    event = http_event(
        fmt, "GET", "/echo/", query={"q": "☃"}, headers={"X-Snow": "☃", "Cookie": "c=☃"}
    )
    if fmt == "v2":
        event["rawQueryString"] = "q=☃"  # raw, as a hand-made event might say it
    seen = echo(handler, event)
    assert seen["query"] == {"q": ["☃"]}
    assert seen["headers"]["X-Snow"] == "☃".encode().decode("latin-1")  # as a WSGI server gives it


def test_bare_apig_wsgi_fails_on_non_latin1_query():
    event = http_event("v2", "GET", "/echo/")
    event["rawQueryString"] = "q=☃"
    assert call(bare_apig_handler(), event).status == 500  # UnicodeEncodeError in request.GET


# --- property tests ---------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
HEADER_NAMES = st.one_of(
    st.sampled_from(
        [
            "Host",
            "Content-Type",
            "Cookie",
            "X-Forwarded-For",
            "Content-Length",
            "X-Forwarded-Proto",
            "Accept",
            "Authorization",
            "content-encoding",
        ]
    ),
    st.text(min_size=0, max_size=12),
)
HEADER_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "a, b", "6.6.6.6, 1.1.1.1", "x;y=z", "☃", "\x00"]),
)


def _paths(event):
    """Every (container, key) in the event, to pick mutations from."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key in list(node):
                found.append((node, key))
                walk(node[key])
        elif isinstance(node, list):
            for index in range(len(node)):
                found.append((node, index))
                walk(node[index])

    walk(event)
    return found


@st.composite
def mutated_events(draw):
    fmt = draw(st.sampled_from(ALL_FORMATS))
    headers = draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=5))
    body = draw(st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=64)))
    path = "/echo/" + draw(st.text(max_size=10)).replace("?", "")
    event = http_event(
        fmt,
        draw(st.sampled_from(["GET", "POST", "PUT", "HEAD", "get"])),
        path,
        headers=headers,
        body=body,
    )
    for _ in range(draw(st.integers(0, 4))):
        places = _paths(event)
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["delete", "replace", "base64"]))
        if action == "delete":
            del container[key]
        elif action == "replace":
            container[key] = draw(JSON_VALUES)
        else:
            event["isBase64Encoded"] = True
            event["body"] = draw(st.text(alphabet="ABCD=!+/ \n", max_size=12))
    return fmt, event


@hyp_settings(
    max_examples=int(os.environ.get("DLB_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutated_events())
def test_mutated_events_never_escape_the_handler(handler, case):
    _fmt, event = case
    try:
        is_http = classify(event).is_http
    except UnknownEventError:
        is_http = False
    if not is_http:  # mutated out of every HTTP shape: not the HTTP path's business
        hypothesis.event("no longer an HTTP event")
        return
    reply = handler(event, FakeContext())  # must not raise
    assert reply_shape_ok(reply, event), reply
    decoded = decode_reply(reply)
    hypothesis.event(f"status {decoded.status}")
    assert decoded.status < 500, (event, decoded)
    if decoded.status == 400 and decoded.header("Content-Type") == "application/problem+json":
        detail = json.loads(decoded.body)["detail"]
        assert "Malformed" in detail
        # The bridge's safety net caught something our event checks should name.
        assert "could not be translated" not in detail, event


@hyp_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fmt=st.sampled_from(ALL_FORMATS),
    headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8),
    query=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=4),
)
def test_odd_headers_and_queries_are_served(handler, fmt, headers, query):
    event = http_event(fmt, "GET", "/echo/", headers=headers, query=dict(query) or None)
    reply = call(handler, event)
    assert reply.status in (200, 400), reply  # 400: Django's own DisallowedHost for a bad Host
