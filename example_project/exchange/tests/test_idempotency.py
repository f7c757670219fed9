"""Retries with the same Idempotency-Key get the first reply and create nothing."""

import pytest

from messaging.models import ExchangeMessage, IdempotencyRecord
from tests.conftest import assert_problem, submit

pytestmark = pytest.mark.django_db


def test_retry_returns_the_same_status_and_body(acme):
    first = submit(acme, "globex", key="order-A-1")
    again = submit(acme, "globex", key="order-A-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert ExchangeMessage.objects.count() == 1
    assert ExchangeMessage.objects.get().idempotency_key == "order-A-1"


def test_same_key_with_another_body_is_422(acme):
    submit(acme, "globex", key="k-1", payload={"order": "A-1"})
    body = assert_problem(submit(acme, "globex", key="k-1", payload={"order": "B-2"}), 422)
    assert body["type"] == "urn:exchange:problem:idempotency-key-reused"
    assert ExchangeMessage.objects.count() == 1


def test_keys_are_per_sender(acme, initech):
    a = submit(acme, "globex", key="shared")
    b = submit(initech, "globex", key="shared")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert ExchangeMessage.objects.count() == 2


def test_without_a_key_each_post_is_a_new_message(acme):
    submit(acme, "globex")
    submit(acme, "globex")
    assert ExchangeMessage.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "tab\there"])
def test_bad_keys_are_400_and_create_nothing(acme, key):
    body = assert_problem(submit(acme, "globex", key=key), 400)
    assert body["type"] == "urn:exchange:problem:invalid-idempotency-key"
    assert ExchangeMessage.objects.count() == 0


def test_a_refused_submission_does_not_burn_the_key(acme):
    assert_problem(submit(acme, "nobody", key="k-2"), 400)
    assert IdempotencyRecord.objects.count() == 0
    reply = submit(acme, "globex", key="k-2")
    assert reply.status_code == 201
    assert ExchangeMessage.objects.count() == 1
