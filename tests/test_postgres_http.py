"""The real Lambda handler serving a DRF API backed by a real PostgreSQL server.

Covers the warm-container case that SQLite can't show: a persistent connection
(CONN_MAX_AGE > 0) whose server backend died between two invocations, as
happens after an RDS failover or an idle timeout while the container is frozen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from django_lambda_bridge import make_handler
from django_lambda_bridge.testing import FakeContext, decode_reply, http_event
from tests.testapp.models import Widget

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", "postgres"], transaction=True),
]

API = "/api/pg/widgets/"


@pytest.fixture(scope="module")
def handler():
    return make_handler("tests.settings")


def invoke(handler, method: str, path: str, body: Any = None, fmt: str = "v2"):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    data = json.dumps(body) if body is not None else None
    reply = handler(http_event(fmt, method, path, headers=headers, body=data), FakeContext())
    return decode_reply(reply)


def payload(reply) -> Any:
    return json.loads(reply.body)


def rows(pg_superuser_conn) -> list[tuple[str, int]]:
    with pg_superuser_conn.cursor() as cur:
        cur.execute("SELECT name, size FROM testapp_widget ORDER BY id")
        return list(cur.fetchall())


@pytest.mark.parametrize("fmt", ["v1", "v2", "alb"])
def test_crud_goes_to_postgres(handler, pg_superuser_conn, fmt):
    assert connections["postgres"].vendor == "postgresql"
    created = invoke(handler, "POST", API, {"name": "bolt", "size": 3}, fmt=fmt)
    assert created.status == 201, created.body
    widget_id = payload(created)["id"]
    assert rows(pg_superuser_conn) == [("bolt", 3)]
    if connections["default"].vendor != "postgresql":  # DLB_TEST_DB=postgres shares it
        assert Widget.objects.using("default").count() == 0  # not the SQLite default

    updated = invoke(handler, "PATCH", f"{API}{widget_id}/", {"size": 7}, fmt=fmt)
    assert updated.status == 200, updated.body
    assert rows(pg_superuser_conn) == [("bolt", 7)]

    listed = invoke(handler, "GET", API, fmt=fmt)
    assert listed.status == 200
    assert payload(listed)["results"] == [{"id": widget_id, "name": "bolt", "size": 7}]

    deleted = invoke(handler, "DELETE", f"{API}{widget_id}/", fmt=fmt)
    assert deleted.status == 204
    assert rows(pg_superuser_conn) == []


def test_pagination_links_come_from_postgres_rows(handler):
    for n in range(3):
        assert invoke(handler, "POST", API, {"name": f"w{n}", "size": n}).status == 201
    first = payload(invoke(handler, "GET", API))
    assert first["count"] == 3
    assert [w["name"] for w in first["results"]] == ["w0", "w1"]
    assert first["next"].endswith(f"{API}?page=2")


def test_invalid_body_is_a_400_and_writes_nothing(handler, pg_superuser_conn):
    reply = invoke(handler, "POST", API, {"name": "x", "size": "not-a-number"})
    assert reply.status == 400
    assert "size" in payload(reply)
    assert rows(pg_superuser_conn) == []


def test_unknown_widget_is_404(handler):
    assert invoke(handler, "GET", f"{API}999999/").status == 404


@pytest.fixture
def persistent_connections() -> Iterator[Any]:
    """Turn on CONN_MAX_AGE (and optionally health checks) for the postgres alias.

    Changed in place on ``settings.DATABASES``: the connection handler shares the
    dict, and Django reads both keys when it next connects.
    """
    db = settings.DATABASES["postgres"]
    saved = {key: db[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}

    def apply(*, health_checks: bool) -> None:
        connections["postgres"].close()
        db["CONN_MAX_AGE"] = 600
        db["CONN_HEALTH_CHECKS"] = health_checks

    yield apply
    connections["postgres"].close()
    db.update(saved)


def backend_pid() -> int:
    raw = connections["postgres"].connection
    assert raw is not None, "the handler did not keep its connection open"
    return int(raw.get_backend_pid())


def terminate(pg_superuser_conn, pid: int) -> None:
    with pg_superuser_conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cur.fetchone() == (True,)
        # Wait until the server has really let the backend go (not a timing assertion).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cur.fetchone() == (0,):
                return
            time.sleep(0.05)
    pytest.fail(f"backend {pid} was still alive 30s after pg_terminate_backend")


def test_killed_backend_is_replaced_with_health_checks(
    handler, pg_superuser_conn, persistent_connections
):
    persistent_connections(health_checks=True)
    assert invoke(handler, "POST", API, {"name": "kept", "size": 1}).status == 201
    pid = backend_pid()  # still open between invocations: CONN_MAX_AGE kept it

    terminate(pg_superuser_conn, pid)

    reply = invoke(handler, "GET", API)
    assert reply.status == 200, reply.body
    assert [w["name"] for w in payload(reply)["results"]] == ["kept"]
    assert backend_pid() != pid


def test_killed_backend_fails_the_next_request_without_health_checks(
    handler, pg_superuser_conn, persistent_connections
):
    """The control for the test above: the kill really breaks a persistent connection."""
    persistent_connections(health_checks=False)
    assert invoke(handler, "POST", API, {"name": "kept", "size": 1}).status == 201
    pid = backend_pid()

    terminate(pg_superuser_conn, pid)

    broken = invoke(handler, "GET", API)
    assert broken.status == 500
    # Django drops the connection that errored at the end of that request,
    # so the one after it reconnects.
    recovered = invoke(handler, "GET", API)
    assert recovered.status == 200, recovered.body
    assert backend_pid() != pid
