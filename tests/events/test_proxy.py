"""The signed proxy view: only authentic, fresh, unused requests run handlers."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from django_lambda_bridge.errors import SignatureError
from django_lambda_bridge.events.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    sign_event,
    verify,
)
from django_lambda_bridge.testing import (
    apigw_http_event,
    invoke_event,
    manage_event,
    sqs_event,
    sqs_record,
    warm_up_event,
)

SECRET = "s3cret-for-tests-only-0123456789abcdef"
OTHER_SECRET = "another-secret-for-tests-0123456789abcdef"
URL = "/lambda-proxy-non-api-events"

# Hygiene checks the (test) database connections around every record.
pytestmark = [pytest.mark.urls("tests.events.urls"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def proxy_settings(settings, tmp_path):
    """A replay cache every process of this machine shares (FileBasedCache), fresh per test."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "replay": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "replay-cache"),
        },
    }
    settings.LAMBDA_BRIDGE = {
        "PROXY_SECRET": SECRET,
        "PROXY_MAX_AGE_SECONDS": 300,
        "PROXY_REPLAY_CACHE": "replay",
    }


def post(client, body: bytes, headers: dict[str, str]):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(URL, data=body, content_type="application/json", **extra)


def test_signed_invocation_runs_and_returns_the_result(client, calls):
    body, headers = sign_event(invoke_event("eventsapp-reindex", {"x": 1}), SECRET)
    response = post(client, body, headers)
    assert response.status_code == 200
    assert response.json() == {"result": {"reindexed": {"x": 1}}}
    assert calls == [("invoke", {"x": 1})]


def test_signed_batch_returns_partial_failures(client, calls):
    bad = sqs_record('{"op": "fail"}', queue="eventsapp-jobs")
    event = {"Records": [sqs_record('{"name": "ok"}', queue="eventsapp-jobs"), bad]}
    response = post(client, *sign_event(event, SECRET))
    assert response.json() == {
        "result": {"batchItemFailures": [{"itemIdentifier": bad["messageId"]}]}
    }
    assert calls == [("sqs", "ok")]


def test_whole_batch_failure_is_a_500_so_the_forwarder_retries(client, calls):
    event = sqs_event('{"op": "fail"}', queue="eventsapp-jobs")
    assert post(client, *sign_event(event, SECRET)).status_code == 500


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body, {}),  # unsigned
        lambda body, headers: (body, {**headers, SIGNATURE_HEADER: "v1=" + "0" * 64}),
        lambda body, headers: (body.replace(b"1", b"2"), headers),  # body changed
        lambda body, headers: (body, {**headers, TIMESTAMP_HEADER: str(int(time.time()) - 1)}),
        lambda body, headers: (body, sign(body, OTHER_SECRET)),
        lambda body, headers: (body, sign(body, SECRET, int(time.time()) - 301)),  # stale
        lambda body, headers: (body, sign(body, SECRET, int(time.time()) + 301)),  # future
        lambda body, headers: (body, {**headers, TIMESTAMP_HEADER: "١٢٣"}),
    ],
)
def test_bad_requests_get_403_and_run_nothing(client, calls, tamper):
    body, headers = sign_event(invoke_event("eventsapp-reindex", {"x": 1}), SECRET)
    response = post(client, *tamper(body, headers))
    assert response.status_code == 403
    assert calls == []


def test_a_replayed_request_is_refused(client, calls):
    body, headers = sign_event(invoke_event("eventsapp-reindex", 1), SECRET)
    assert post(client, body, headers).status_code == 200
    assert post(client, body, headers).status_code == 403
    assert calls == [("invoke", 1)]


def test_without_a_secret_everything_is_refused(client, calls, settings):
    settings.LAMBDA_BRIDGE = {"PROXY_REPLAY_CACHE": "replay"}
    body, headers = sign_event(invoke_event("eventsapp-reindex", 1), SECRET)
    assert post(client, body, headers).status_code == 403
    assert calls == []


@pytest.mark.parametrize(
    "event",
    [manage_event("migrate"), warm_up_event(), apigw_http_event("GET", "/")],
)
def test_only_routed_event_kinds_are_accepted(client, calls, event):
    response = post(client, *sign_event(event, SECRET))
    assert response.status_code == 400
    assert calls == []


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"event": 3}', b'{"other": {}}'])
def test_signed_but_malformed_bodies_are_400(client, body):
    assert post(client, body, sign(body, SECRET)).status_code == 400


def test_unroutable_event_is_400(client):
    response = post(client, *sign_event(invoke_event("nope"), SECRET))
    assert response.status_code == 400
    assert "No route" in response.json()["error"]


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200), flip=st.integers(min_value=0, max_value=10_000))
def test_any_single_bit_change_breaks_the_signature(body, flip):
    headers = sign(body, SECRET, timestamp=1_000)
    verify(body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], SECRET, 60, now=1_000)
    if not body:
        return
    index = flip % (len(body) * 8)
    changed = bytearray(body)
    changed[index // 8] ^= 1 << (index % 8)
    with pytest.raises(SignatureError):
        verify(
            bytes(changed),
            headers[TIMESTAMP_HEADER],
            headers[SIGNATURE_HEADER],
            SECRET,
            60,
            now=1_000,
        )


def test_sign_refuses_an_empty_secret():
    with pytest.raises(SignatureError, match="empty"):
        sign(b"x", "")


def test_sign_event_body_is_the_view_envelope():
    body, headers = sign_event({"invoke": "x"}, SECRET, timestamp=5)
    assert json.loads(body) == {"event": {"invoke": "x"}}
    assert headers[TIMESTAMP_HEADER] == "5"
    assert headers["Content-Type"] == "application/json"


# --- replay protection across processes ------------------------------------------------

_OTHER_PROCESS = """
import json, sys
import django
django.setup()
from django.test import Client
from django.test.utils import override_settings

config = json.loads(sys.argv[1])
with override_settings(**config):
    client = Client()
    for body, headers in json.load(sys.stdin):
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        reply = client.post(%r, data=body.encode(), content_type="application/json", **extra)
        print(reply.status_code, reply.content.decode())
"""


def in_another_process(settings, *requests: tuple[bytes, dict[str, str]]) -> list[str]:
    """POST signed requests to the proxy view of a second Django process, same settings."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    config = {
        "CACHES": settings.CACHES,
        "LAMBDA_BRIDGE": settings.LAMBDA_BRIDGE,
        "ROOT_URLCONF": "tests.events.urls",
    }
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)]),
    }
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS % URL, json.dumps(config)],
        input=json.dumps([[body.decode(), headers] for body, headers in requests]),
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_request_replayed_to_another_process_is_refused(client, calls, settings):
    used = sign_event(invoke_event("eventsapp-reindex", 1), SECRET)
    assert post(client, *used).status_code == 200
    fresh = sign_event(invoke_event("no-such-route"), SECRET)
    replayed, control = in_another_process(settings, used, fresh)
    assert replayed.startswith("403 ")
    # The other process does accept a request it has not seen: it got past the replay
    # check to the router, which has no route for it.
    assert control.startswith("400 ")
    assert "No route" in control
    assert calls == [("invoke", 1)]


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.locmem.LocMemCache",
    ],
)
def test_a_cache_that_cannot_refuse_replays_refuses_every_request(
    client, calls, settings, caplog, backend
):
    settings.CACHES = {**settings.CACHES, "replay": {"BACKEND": backend}}
    body, headers = sign_event(invoke_event("eventsapp-reindex", 1), SECRET)
    # With DummyCache the same request used to run three times out of three.
    assert [post(client, body, headers).status_code for _ in range(3)] == [403, 403, 403]
    assert calls == []
    assert any("replay" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records), (
        caplog.text
    )
    assert SECRET not in caplog.text


# --- rotating the secret ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "fallbacks"),
    [(OTHER_SECRET, [SECRET]), (SECRET, [OTHER_SECRET])],
    ids=["new-current-old-fallback", "old-current-new-fallback"],
)
def test_during_a_rotation_both_secrets_are_accepted(client, calls, settings, current, fallbacks):
    settings.LAMBDA_BRIDGE = {
        **settings.LAMBDA_BRIDGE,
        "PROXY_SECRET": current,
        "PROXY_SECRET_FALLBACKS": fallbacks,
    }
    for n, secret in enumerate([SECRET, OTHER_SECRET]):
        assert (
            post(client, *sign_event(invoke_event("eventsapp-reindex", n), secret)).status_code
            == 200
        )
    third = "a-third-secret-nobody-configured-0123456789"
    assert post(client, *sign_event(invoke_event("eventsapp-reindex", 9), third)).status_code == 403
    assert calls == [("invoke", 0), ("invoke", 1)]


def test_after_a_rotation_the_retired_secret_is_refused(client, calls, settings):
    settings.LAMBDA_BRIDGE = {**settings.LAMBDA_BRIDGE, "PROXY_SECRET": OTHER_SECRET}
    assert (
        post(client, *sign_event(invoke_event("eventsapp-reindex", 1), SECRET)).status_code == 403
    )
    assert (
        post(client, *sign_event(invoke_event("eventsapp-reindex", 2), OTHER_SECRET)).status_code
        == 200
    )
    assert calls == [("invoke", 2)]


def test_verify_accepts_any_listed_secret_and_sign_uses_the_one_given():
    headers = sign(b"x", OTHER_SECRET, timestamp=1_000)
    stamp, signed = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    verify(b"x", stamp, signed, [SECRET, OTHER_SECRET], 60, now=1_000)
    verify(b"x", stamp, signed, (OTHER_SECRET,), 60, now=1_000)
    with pytest.raises(SignatureError, match="does not match"):
        verify(b"x", stamp, signed, [SECRET], 60, now=1_000)
    with pytest.raises(SignatureError, match="disabled"):
        verify(b"x", stamp, signed, [], 60, now=1_000)


# --- short secrets ---------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 16, 31])
def test_a_short_secret_cannot_sign(length):
    with pytest.raises(SignatureError, match="at least 32") as caught:
        sign(b"x", "Q" * length)
    assert "Q" not in str(caught.value)  # the message never shows the secret


@pytest.mark.parametrize("where", ["current", "fallback"])
def test_a_short_secret_refuses_every_request_even_correctly_signed(client, calls, settings, where):
    from django_lambda_bridge.events.signing import signature

    short = "short-but-not-empty"
    if where == "current":
        settings.LAMBDA_BRIDGE = {**settings.LAMBDA_BRIDGE, "PROXY_SECRET": short}
    else:
        settings.LAMBDA_BRIDGE = {**settings.LAMBDA_BRIDGE, "PROXY_SECRET_FALLBACKS": [short]}
    body = json.dumps({"event": invoke_event("eventsapp-reindex", 1)}).encode()
    stamp = str(int(time.time()))
    for secret in (short, SECRET):
        headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(body, stamp, secret)}
        assert post(client, body, headers).status_code == 403
    assert calls == []


def test_exactly_the_minimum_length_is_accepted(client, calls, settings):
    secret = "x" * 32
    settings.LAMBDA_BRIDGE = {**settings.LAMBDA_BRIDGE, "PROXY_SECRET": secret}
    assert (
        post(client, *sign_event(invoke_event("eventsapp-reindex", 1), secret)).status_code == 200
    )


# --- hostile signature headers ---------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["v1=" + "é" * 64, "é", "v1=" + "0" * 63 + "\u20ac", "\N{GREEK SMALL LETTER ALPHA}" * 67],
)
def test_a_non_ascii_signature_is_403_not_500(client, calls, value):
    body, headers = sign_event(invoke_event("eventsapp-reindex", 1), SECRET)
    response = post(client, body, {**headers, SIGNATURE_HEADER: value})
    assert response.status_code == 403
    assert calls == []


@pytest.mark.parametrize("value", ["v1=" + "é" * 64, "\u20ac" * 67])
def test_a_non_ascii_signature_through_the_lambda_handler_is_403(handler, calls, settings, value):
    import base64

    from django_lambda_bridge.testing import FakeContext

    settings.ROOT_URLCONF = "tests.events.urls"
    body, headers = sign_event(invoke_event("eventsapp-reindex", 1), SECRET)
    event = apigw_http_event("POST", URL, headers={**headers, SIGNATURE_HEADER: value}, body=body)
    reply = handler(event, FakeContext())
    assert reply["statusCode"] == 403, reply
    text = base64.b64decode(reply["body"]) if reply.get("isBase64Encoded") else reply["body"]
    assert "not correctly signed" in str(text)
    assert calls == []
    # The same request, correctly signed, runs: the 403 is the signature's doing.
    assert (
        handler(apigw_http_event("POST", URL, headers=headers, body=body), FakeContext())[
            "statusCode"
        ]
        == 200
    )
    assert calls == [("invoke", 1)]
