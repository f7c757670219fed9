"""The size guard measures replies as the Lambda runtime serialises them, in bounded memory.

The python3.12+ runtime sends ``json.dumps(reply, ensure_ascii=False)`` as
UTF-8, so non-ASCII text costs its UTF-8 bytes, not six-byte ``\\uXXXX``
escapes. The body is collected only up to the limit, and the size is counted
arithmetically, never by serialising a large body.
"""

from __future__ import annotations

import json
import tracemalloc
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_lambda_bridge.http import response as response_module
from django_lambda_bridge.http.response import (
    SIZE_LIMITS,
    build_reply,
    check_size,
    is_binary,
    json_text_size,
    reply_size,
)
from django_lambda_bridge.kinds import Kind
from django_lambda_bridge.testing.events import http_event
from tests.http_support import (
    call,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def handler():
    return make_handler()


def runtime_size(reply):
    """What the python3.12+ Lambda runtime puts on the wire."""
    return len(json.dumps(reply, ensure_ascii=False).encode("utf-8"))


@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url"])
def test_large_non_ascii_json_reply_passes(handler, fmt):
    reply = call(handler, http_event(fmt, "GET", "/nonascii-json/?bytes=3600000"))
    assert reply.status == 200, reply.body[:300]
    assert len(reply.body) > 3_500_000
    assert json.loads(reply.body)["text"].startswith("éé")


def test_the_same_reply_would_have_been_refused_with_ascii_escapes():
    """The old estimate (and ensure_ascii=True) counted each 'é' as six bytes."""
    body = json.dumps({"text": "é" * 1_800_000}, ensure_ascii=False).encode()
    reply = build_reply(
        Kind.API_GATEWAY_V2,
        200,
        [("Content-Type", "application/json")],
        body,
        text_types=("application/json",),
    )
    assert len(json.dumps(reply).encode()) > SIZE_LIMITS[Kind.API_GATEWAY_V2]
    check_size(Kind.API_GATEWAY_V2, reply, body)  # does not raise


BODIES = st.one_of(
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.binary(max_size=200),
    st.sampled_from([b'"\\\x00\x1f\n\t\x7f', "é€😀\u2028".encode(), b""]),
)


@given(body=BODIES, content_type=st.sampled_from(["text/plain", "application/octet-stream"]))
def test_reply_size_is_exactly_what_the_runtime_sends(body, content_type):
    reply = build_reply(
        Kind.API_GATEWAY_V1,
        200,
        [("Content-Type", content_type), ("X-Note", "é")],
        body,
        text_types=("text/",),
    )
    assert reply_size(reply, body) == runtime_size(reply)


def test_escape_counting():
    assert json_text_size(b"") == 2
    assert json_text_size(b'a"b') == len(json.dumps('a"b'))
    assert json_text_size(b"\x01") == len(json.dumps("\x01"))  # \u0001
    assert json_text_size("é".encode()) == 4  # two UTF-8 bytes plus quotes


@pytest.mark.parametrize("chars", [1_100_000, 1_048_000])
def test_control_characters_are_counted_six_fold(settings, chars):
    settings.LAMBDA_BRIDGE = {"RESPONSE_SIZE_LIMIT": 6 * MB}
    reply = call(make_handler(), http_event("v2", "GET", f"/escaped/?chars={chars}"))
    assert reply.status == (502 if chars * 6 > 6 * MB else 200)


def test_no_json_dumps_over_a_large_body(handler, monkeypatch):
    """The exact size is computed, not serialised: json.dumps only sees small documents."""
    seen = []
    real = response_module.json.dumps

    def spy(obj, *args, **kwargs):
        text = real(obj, *args, **kwargs)
        seen.append(len(text))
        return text

    monkeypatch.setattr(response_module, "json", SimpleNamespace(dumps=spy))
    reply = call(handler, http_event("v2", "GET", "/nonascii-json/?bytes=5000000"))
    assert reply.status == 200
    assert seen  # the envelope was measured
    assert max(seen) < 10_000


@pytest.fixture(scope="module")
def sixty_mb_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.pdf"
    with path.open("wb") as out:
        chunk = b"%PDF" + b"\x00" * (MB - 4)
        for _ in range(60):
            out.write(chunk)
    return path


def _peak(fn):
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.parametrize("fmt", ["v1", "v2", "alb"])
def test_sixty_mb_file_is_a_502_in_small_memory(handler, sixty_mb_file, fmt):
    event = http_event(fmt, "GET", "/big-file/", query={"path": str(sixty_mb_file)})
    reply, peak = _peak(lambda: call(handler, event))
    assert reply.status == 502
    document = json.loads(reply.body)
    assert document["size_bytes"] == 60 * MB
    assert document["limit_bytes"] == SIZE_LIMITS[_kind(fmt)]
    assert peak < 2 * MB, peak  # the declared Content-Length is enough to refuse it


@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_sixty_mb_stream_stops_at_the_limit(handler, fmt):
    event = http_event(fmt, "GET", "/endless/", query={"mb": "60"})
    reply, peak = _peak(lambda: call(handler, event))
    assert reply.status == 502
    document = json.loads(reply.body)
    assert document["limit_bytes"] == 6 * MB
    assert 6 * MB < document["size_bytes"] < 7 * MB  # collection stopped just over the limit
    assert "over" in document["detail"]
    assert peak < 20 * MB, peak  # was about 5x the body (300 MB) before


def _kind(fmt):
    return {"v1": Kind.API_GATEWAY_V1, "v2": Kind.API_GATEWAY_V2, "alb": Kind.ALB}[fmt]


def test_head_of_a_large_file_is_not_read(handler, sixty_mb_file):
    event = http_event("v2", "HEAD", "/big-file/", query={"path": str(sixty_mb_file)})
    reply, peak = _peak(lambda: call(handler, event))
    assert reply.status == 200
    assert reply.body == b""
    assert reply.header("Content-Length") == str(60 * MB)
    assert peak < 2 * MB


@pytest.mark.parametrize(
    "content_type",
    [
        "application/yaml",
        "application/x-yaml",
        "application/openapi+yaml",
        "application/vnd.oai.openapi",
        "application/vnd.oai.openapi; charset=utf-8",
        "application/vnd.oai.openapi+json",
    ],
)
def test_yaml_and_openapi_are_text(handler, content_type):
    from django_lambda_bridge.conf import DEFAULT_TEXT_CONTENT_TYPES

    assert not is_binary([("Content-Type", content_type)], DEFAULT_TEXT_CONTENT_TYPES)
    raw = handler(http_event("v2", "GET", "/yaml/", query={"type": content_type}), None)
    assert raw["isBase64Encoded"] is False
    assert raw["body"].startswith("openapi: 3.0.3")
