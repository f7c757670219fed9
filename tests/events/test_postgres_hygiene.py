"""Database hygiene around event handlers, against a real PostgreSQL server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from django.db import connections

from django_lambda_bridge.testing import FakeContext, sqs_record
from tests.events.eventsapp.models import Delivery

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", "postgres"], transaction=True),
]
PG = "postgres"


@pytest.fixture
def pg_options() -> Iterator:
    """Set the alias's CONN_MAX_AGE / CONN_HEALTH_CHECKS for one test, on a fresh connection."""
    conn = connections[PG]
    saved = {k: conn.settings_dict[k] for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}

    def set_options(max_age, health_checks=False):
        conn.close()
        conn.settings_dict.update(CONN_MAX_AGE=max_age, CONN_HEALTH_CHECKS=health_checks)

    yield set_options
    conn.close()
    conn.settings_dict.update(saved)


def batch(*commands, queue="eventsapp-jobs"):
    return {"Records": [sqs_record(json.dumps(c), queue=queue) for c in commands]}


def failed_ids(reply):
    return [f["itemIdentifier"] for f in reply["batchItemFailures"]]


def names():
    return list(Delivery.objects.using(PG).values_list("name", flat=True))


def terminate_handler_backend(pg_superuser_conn) -> int:
    pid = connections[PG].connection.get_backend_pid()
    with pg_superuser_conn.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    return pid


def test_persistent_connection_killed_between_invocations(
    handler, pg_options, pg_superuser_conn, calls
):
    """CONN_MAX_AGE=None + CONN_HEALTH_CHECKS: the check must be re-armed per invocation."""
    pg_options(None, health_checks=True)
    assert handler(batch({"op": "write", "name": "a"}), FakeContext()) == {"batchItemFailures": []}
    assert connections[PG].connection is not None  # kept, as CONN_MAX_AGE asks
    terminate_handler_backend(pg_superuser_conn)

    reply = handler(batch({"op": "write", "name": "b"}), FakeContext())
    assert reply == {"batchItemFailures": []}
    assert names() == ["a", "b"]


def test_default_max_age_closes_the_connection_after_each_invocation(
    handler, pg_options, pg_superuser_conn, calls
):
    pg_options(0)
    handler(batch({"op": "write", "name": "a"}), FakeContext())
    assert connections[PG].connection is None  # nothing held while the container is frozen
    handler(batch({"op": "write", "name": "b"}), FakeContext())
    assert names() == ["a", "b"]


def test_without_health_checks_one_record_fails_and_the_next_reconnects(
    handler, pg_options, pg_superuser_conn, calls
):
    pg_options(None)
    handler(batch({"op": "write", "name": "a"}), FakeContext())
    terminate_handler_backend(pg_superuser_conn)
    event = batch({"op": "write", "name": "b"}, {"op": "write", "name": "c"})
    reply = handler(event, FakeContext())
    # b met the dead connection, failed and will be retried; c got a fresh connection.
    assert failed_ids(reply) == [event["Records"][0]["messageId"]]
    assert names() == ["a", "c"]


def test_failed_atomic_record_leaves_no_partial_write(handler, pg_options, calls):
    pg_options(None)
    event = batch(
        {"op": "write-then-fail", "name": "half"},
        {"op": "write", "name": "whole"},
        queue="eventsapp-atomic-jobs",
    )
    reply = handler(event, FakeContext())
    assert failed_ids(reply) == [event["Records"][0]["messageId"]]
    assert names() == ["whole"]


def test_without_atomic_the_partial_write_stays(handler, pg_options, calls):
    """The control for the test above: the route's atomic=True is what rolled back."""
    pg_options(None)
    handler(batch({"op": "write-then-fail", "name": "half"}, {"op": "ok"}), FakeContext())
    assert names() == ["half"]


def test_aborted_transaction_does_not_poison_the_next_record(handler, pg_options, calls):
    pg_options(None)  # the same connection would be reused by the next record
    event = batch({"op": "poison"}, {"op": "write", "name": "after"})
    reply = handler(event, FakeContext())
    assert failed_ids(reply) == [event["Records"][0]["messageId"]]
    assert names() == ["after"]
    # And the next invocation is fine too.
    assert handler(batch({"op": "count"}), FakeContext()) == {"batchItemFailures": []}
    assert calls[-1] == ("sqs", 1)


def backend_pids(pg_superuser_conn) -> set[int]:
    """Client backends of the test database other than the superuser's own probe."""
    with pg_superuser_conn.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


def wait_until_gone(pg_superuser_conn, pid: int, seconds: float = 5.0) -> bool:
    """A closed connection's backend leaves pg_stat_activity a moment later."""
    deadline = time.monotonic() + seconds
    while pid in backend_pids(pg_superuser_conn):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_batch_opens_one_connection_not_one_per_record(
    handler, pg_options, pg_superuser_conn, calls
):
    """Issue 7: with CONN_MAX_AGE=0, hygiene around every record reconnected ten times."""
    pg_options(0)
    before = backend_pids(pg_superuser_conn)
    reply = handler(batch(*[{"op": "pid"}] * 10), FakeContext())
    assert reply == {"batchItemFailures": []}
    pids = [pid for _, pid in calls]
    assert len(pids) == 10
    assert len(set(pids)) == 1
    # And it is closed when the batch ends, as CONN_MAX_AGE=0 asks.
    assert connections[PG].connection is None
    assert pids[0] not in before
    assert wait_until_gone(pg_superuser_conn, pids[0])


def test_a_failed_record_still_gets_the_next_one_a_clean_connection(
    handler, pg_options, pg_superuser_conn, calls
):
    """The per-record protection stays: a poisoned session is replaced, once."""
    pg_options(0)
    event = batch({"op": "pid"}, {"op": "pid"}, {"op": "poison"}, {"op": "pid"}, {"op": "pid"})
    reply = handler(event, FakeContext())
    assert failed_ids(reply) == [event["Records"][2]["messageId"]]
    pids = [pid for _, pid in calls]
    assert len(pids) == 4
    assert pids[0] == pids[1] != pids[2] == pids[3]  # one reconnect, after the failure
