"""Malformed or wrong input: a 4xx problem each time, and nothing half-written."""

import pytest

from messaging.models import ExchangeMessage, IdempotencyRecord, MessageEvent
from tests.conftest import assert_problem, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_written(db):
    yield
    assert ExchangeMessage.objects.count() == 0
    assert MessageEvent.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [b'{"recipient": "globex",', b"\xff\xfe not json", b"[1, 2", b'{"recipient": NaN}'],
)
def test_malformed_json(acme, raw):
    reply = acme.generic(
        "POST", "/api/v1/messages/", raw, content_type="application/json",
        headers={"Idempotency-Key": "malformed"},
    )
    body = assert_problem(reply, 400)
    assert "JSON" in body["detail"]


def test_a_json_array_is_not_a_message(acme):
    body = assert_problem(acme.post("/api/v1/messages/", [1, 2], format="json"), 400)
    assert body["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payload", "not an object"),
        ("payload", [1, 2, 3]),
        ("type", ["order.created"]),
        ("type", True),
        ("type", "has spaces"),
        ("type", ""),
        ("recipient", ["globex"]),
        ("recipient", "nobody"),
        ("recipient", "acme"),  # itself
        ("correlation_id", "x" * 201),
    ],
)
def test_wrong_field_values(acme, field, value):
    body = assert_problem(submit(acme, **{"recipient": "globex", field: value}), 400)
    assert field in body["errors"], body


def test_missing_fields(acme):
    body = assert_problem(acme.post("/api/v1/messages/", {}, format="json"), 400)
    assert {"recipient", "type", "payload"} <= set(body["errors"])


def test_payload_over_the_limit(acme, exchange_settings):
    exchange_settings(MAX_PAYLOAD_BYTES=100)
    body = assert_problem(submit(acme, payload={"blob": "x" * 200}), 400)
    assert "limit is 100" in body["errors"]["payload"][0]


def test_inactive_recipient_is_unknown(acme, partners):
    partners["globex"].is_active = False
    partners["globex"].save()
    assert "recipient" in assert_problem(submit(acme, "globex"), 400)["errors"]


def test_unsupported_media_type(acme):
    reply = acme.generic("POST", "/api/v1/messages/", b"recipient=globex", content_type="text/plain")
    assert_problem(reply, 415)


def test_unknown_message_id_and_bad_uuid(acme):
    assert_problem(acme.get("/api/v1/messages/00000000-0000-0000-0000-000000000000/"), 404)
    assert_problem(acme.get("/api/v1/messages/not-a-uuid/"), 404)


def test_method_not_allowed(acme):
    assert_problem(acme.delete("/api/v1/messages/"), 405)
