"""The signed proxy view: only authentic, fresh, unused requests run handlers."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache
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
URL = "/lambda-proxy-non-api-events"

# Hygiene checks the (test) database connections around every record.
pytestmark = [pytest.mark.urls("tests.events.urls"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def proxy_settings(settings):
    settings.LAMBDA_BRIDGE = {"PROXY_SECRET": SECRET, "PROXY_MAX_AGE_SECONDS": 300}
    cache.clear()


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
        lambda body, headers: (body, sign(body, "another-secret")),
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
    settings.LAMBDA_BRIDGE = {}
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
