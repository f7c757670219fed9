"""Real races on PostgreSQL: two Lambdas with one message, concurrent inserts with one key.

Each contender runs in its own thread with its own database connection, all
released at once by a barrier. SQLite serialises writers on a file lock, so
these run on PostgreSQL only: python ../../tests/with_postgres.py -- python -m pytest
"""

import threading

import pytest
from django.db import connection

from callbacks.models import Attempt, Callback, State
from django_lambda_bridge.testing import sqs_event, sqs_record
from django_lambda_bridge.testing.context import FakeContext
from tests.conftest import insert, lambda_handler, make_callback, message, refresh
from tests.receivers import SLOW

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL); SQLite cannot run writers concurrently",
    ),
]

TIMEOUT = 30


def race(*calls):
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("lambdas", [2, 6])
def test_lambdas_racing_on_one_message_record_one_success(acme, receiver, lambdas):
    receiver.script("/hook", SLOW(0.2))  # long enough for the others to arrive mid-send
    callback = make_callback(acme[0], receiver.url("/hook"))
    handler = lambda_handler()
    body = message(callback.pk)

    def one_lambda():
        # Each "Lambda" gets its own receive of the same message (a duplicate delivery).
        return handler(sqs_event(sqs_record(body, queue="callbacks")), FakeContext())

    replies = race(*([one_lambda] * lambdas))
    assert replies == [{"batchItemFailures": []}] * lambdas
    assert refresh(callback).state == State.DELIVERED
    assert len(receiver.hits("/hook")) == 1
    assert list(Attempt.objects.filter(callback=callback).values_list("outcome", flat=True)) == [
        "delivered"
    ]


def test_concurrent_inserts_with_one_key_make_one_callback(acme, callback_settings, monkeypatch):
    from rest_framework.test import APIClient

    monkeypatch.setattr("callbacks.outbox.after_insert", lambda callback_id: None)
    token = acme[0].auth_token.key
    clients = []
    for _ in range(6):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        clients.append(client)
    replies = race(*(lambda c=c: insert(c, "https://a.example.com/", key="race") for c in clients))
    assert sorted(r.status_code for r in replies) == [200] * 5 + [201]
    assert len({r.json()["id"] for r in replies}) == 1
    assert Callback.objects.filter(idempotency_key="race").count() == 1


def test_racing_breaker_failures_are_all_counted(receiver, callback_settings):
    from django.utils import timezone

    from callbacks import breaker
    from callbacks.models import Target, origin_of

    callback_settings(BREAKER_THRESHOLD=100)
    now = timezone.now()
    race(*[lambda: breaker.record(origin_of(receiver.url("/")), now, failed=True)] * 8)
    assert Target.objects.get(origin=origin_of(receiver.url("/"))).consecutive_failures == 8
