"""VPC Lattice requests (event structures v1 and v2) are served through Django like any other.

Before, Lattice events were classified but sent to the event router, which had
no route for them. Now the client address comes from the entry VPC Lattice
appended to ``x-forwarded-for``, the scheme from its ``x-forwarded-for-proto``,
bodies are decoded strictly, and replies carry ``statusDescription`` and
single-value ``headers``, as Lattice expects.
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.kinds import Kind, classify
from tests.http_lattice import HOST, SOURCE_IP, lattice_event
from tests.http_support import (
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

VERSIONS = [pytest.param(1, id="v1"), pytest.param(2, id="v2")]


@pytest.fixture(scope="module")
def handler():
    return make_handler()


@pytest.mark.parametrize("version", VERSIONS)
def test_request_reaches_django(handler, version):
    event = lattice_event(
        version,
        "POST",
        "/echo/?a=1&a=2&b=%C3%A9",
        headers=[("Content-Type", "text/plain"), ("X-Forwarded-For", "6.6.6.6"), ("Cookie", "k=v")],
        body="héllo",
    )
    assert classify(event) is Kind.VPC_LATTICE
    seen = echo(handler, event)
    assert seen["kind"] == "vpc-lattice"
    assert seen["method"] == "POST"
    assert seen["path"] == "/echo/"
    assert seen["script_name"] == ""
    assert seen["remote_addr"] == SOURCE_IP  # Lattice's own entry, not the client's 6.6.6.6
    assert seen["is_secure"] is True
    assert seen["absolute_uri"].startswith(f"https://{HOST}/echo/")
    assert seen["body"] == "héllo".encode().decode("latin-1")
    assert seen["content_type"] == "text/plain"
    assert seen["cookies"] == {"k": "v"}
    assert seen["query"]["b"] == ["é"]
    assert seen["query"]["a"] == (["1", "2"] if version == 2 else ["2"])  # v1: one value each


@pytest.mark.parametrize("version", VERSIONS)
def test_plain_http_listener(handler, version):
    seen = echo(handler, lattice_event(version, "GET", "/echo/", proto="http"))
    assert seen["is_secure"] is False
    assert seen["absolute_uri"] == f"http://{HOST}/echo/"


@pytest.mark.parametrize("version", VERSIONS)
def test_reply_has_the_lattice_shape(handler, version):
    reply = handler(lattice_event(version, "GET", "/cookies/"), None)
    assert set(reply) == {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"}
    assert reply["statusDescription"] == "200 OK"
    assert all(isinstance(v, str) for v in reply["headers"].values())
    cookies = sorted(v for k, v in reply["headers"].items() if k.lower() == "set-cookie")
    assert cookies == ["first=1; Path=/", "second=2; Path=/"]  # two case-spellings of the name


@pytest.mark.parametrize("version", VERSIONS)
def test_binary_reply_is_base64(handler, version):
    decoded = call(handler, lattice_event(version, "GET", "/binary/"))
    assert decoded.body == bytes(range(256))


def test_iam_caller_becomes_remote_user(handler):
    principal = "arn:aws:sts::123456789012:assumed-role/caller/s1"
    seen = echo(handler, lattice_event(2, "GET", "/echo/", principal=principal))
    assert seen["remote_user"] == principal
    assert seen["authorizer"]["type"] == "iam"
    assert seen["authorizer"]["principal"] == principal


def test_unauthenticated_caller_is_anonymous(handler):
    seen = echo(handler, lattice_event(2, "GET", "/echo/"))
    assert seen["remote_user"] is None
    assert seen["authorizer"] is None


@pytest.mark.parametrize(
    ("version", "key", "value", "words"),
    [
        (1, "raw_path", None, "'raw_path'"),
        (1, "method", 5, "'method'"),
        (1, "is_base64_encoded", "yes", "is_base64_encoded"),
        (1, "body", "not base64!", "base64"),
        (2, "path", "relative", "'path'"),
        (2, "headers", {"x": [1]}, "headers"),
        (2, "requestContext", "oops", "requestContext"),
        (2, "queryStringParameters", {"q": 3}, "queryStringParameters"),
    ],
)
def test_malformed_lattice_event_is_a_400(handler, version, key, value, words):
    event = lattice_event(version, "POST", "/echo/", body="x")
    event[key] = value
    reply = call(handler, event)
    assert reply.status == 400
    assert reply.header("Content-Type") == "application/problem+json"
    assert words in json.loads(reply.body)["detail"]


def test_oversized_lattice_reply_is_a_502(handler, settings):
    settings.LAMBDA_BRIDGE = {"RESPONSE_SIZE_LIMIT": 1000}
    reply = call(make_handler(), lattice_event(2, "GET", "/big/?bytes=5000"))
    assert reply.status == 502
    assert "VPC Lattice" in json.loads(reply.body)["detail"]
