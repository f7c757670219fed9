"""Real races on PostgreSQL: concurrent retries and concurrent recipient decisions.

Each request runs in its own thread, with its own APIClient and its own
database connection, and all are released at once by a barrier. SQLite
serialises writers on a file lock, so these tests only mean something (and
only run) on PostgreSQL: python tests/with_postgres.py -- python -m pytest ...
"""

import threading

import pytest
from django.db import connection

from messaging.models import ExchangeMessage, IdempotencyRecord, MessageEvent
from messaging.states import State
from tests.conftest import submit

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
    """Run each call in its own thread, all released together; return their results in order."""
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)
    results = [None] * len(calls)
    errors = []

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a racing request hung"
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("contenders", [2, 8])
def test_concurrent_retries_with_one_key_create_one_message(login, contenders):
    clients = [login("acme") for _ in range(contenders)]
    replies = race(*(lambda c=c: submit(c, "globex", key="order-race") for c in clients))

    assert [reply.status_code for reply in replies] == [201] * contenders, [
        reply.content for reply in replies
    ]
    bodies = [reply.json() for reply in replies]
    assert all(body == bodies[0] for body in bodies), bodies
    replayed = [reply.get("Idempotent-Replayed") for reply in replies]
    assert replayed.count("true") == contenders - 1, replayed
    assert replayed.count(None) == 1, replayed
    assert ExchangeMessage.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert str(ExchangeMessage.objects.get().pk) == bodies[0]["id"]


def test_concurrent_acknowledge_and_reject_one_wins(make_message, login):
    message = make_message(sender="acme", recipient="globex", state=State.DELIVERED)
    events_before = MessageEvent.objects.filter(message=message).count()
    ack_client, reject_client = login("globex"), login("globex")
    url = f"/api/v1/messages/{message.pk}"

    ack, reject = race(
        lambda: ack_client.post(f"{url}/acknowledge/", {"reason": "ok"}, format="json"),
        lambda: reject_client.post(f"{url}/reject/", {"reason": "no"}, format="json"),
    )

    statuses = sorted([ack.status_code, reject.status_code])
    assert statuses == [200, 409], (ack.content, reject.content)
    winner = State.ACKNOWLEDGED if ack.status_code == 200 else State.REJECTED
    message.refresh_from_db()
    assert message.state == winner
    new_events = MessageEvent.objects.filter(message=message).order_by("pk")[events_before:]
    assert [(e.from_state, e.to_state) for e in new_events] == [(State.DELIVERED, winner)]
