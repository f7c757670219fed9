"""What Django sends on connect that would pin an RDS Proxy session, on a real server."""

from __future__ import annotations

import logging

import pytest
from django.db.utils import ConnectionHandler

from tests.db.conftest import bridge_connection

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("forget_credentials")]


def entry(role, **extra):
    return {"HOST": role.cluster.host, "PORT": role.cluster.port, "USER": role.name,
            "PASSWORD": role.password, "NAME": "postgres", **extra}  # fmt: skip


def session_time_zone(conn):
    with conn.cursor() as cur:
        cur.execute("SHOW TimeZone")
        return cur.fetchone()[0]


def give_role_time_zone(role, zone):
    with role.admin.cursor() as cur:
        cur.execute(f'ALTER ROLE "{role.name}" SET timezone = %s', [zone])


def test_django_sets_the_time_zone_when_the_server_names_utc_otherwise(role):
    give_role_time_zone(role, "Etc/UTC")  # what Debian's initdb, and many images, pick
    stock = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.postgresql", **entry(role)}}
    )["default"]
    assert session_time_zone(stock) == "UTC"  # Django sent SET TIME ZONE: a pinned session
    stock.close()
    ours = bridge_connection(entry(role))
    assert session_time_zone(ours) == "Etc/UTC"  # the same zone; no SET sent
    with ours.cursor() as cur:
        cur.execute("SELECT now() = now() AT TIME ZONE 'UTC' AT TIME ZONE 'UTC'")
        assert cur.fetchone()[0] is True
    ours.close()


def test_a_real_difference_is_still_set_and_reported_once_behind_a_proxy(role, caplog):
    give_role_time_zone(role, "Europe/Paris")
    conn = bridge_connection(entry(role, LAMBDA_BRIDGE={"RDS_PROXY": True}))
    with caplog.at_level(logging.DEBUG, logger="django_lambda_bridge.db"):
        assert session_time_zone(conn) == "UTC"  # correctness first: Django needs UTC
        conn.close()
        assert session_time_zone(conn) == "UTC"
        conn.close()
    pins = [r for r in caplog.records if "pins an RDS Proxy session" in r.getMessage()]
    assert len(pins) == 1
    assert pins[0].levelno == logging.WARNING
    assert "SET TIME ZONE 'UTC'" in pins[0].getMessage()
    assert "ALTER ROLE" in pins[0].getMessage()


def test_without_a_proxy_the_same_report_is_only_debug(role, caplog):
    give_role_time_zone(role, "Europe/Paris")
    conn = bridge_connection(entry(role))
    with caplog.at_level(logging.DEBUG, logger="django_lambda_bridge.db"):
        session_time_zone(conn)
    conn.close()
    pins = [r for r in caplog.records if "pins an RDS Proxy session" in r.getMessage()]
    assert [r.levelno for r in pins] == [logging.DEBUG]


def test_a_proxy_host_is_recognised_by_name():
    conn = bridge_connection({"HOST": "app.proxy-abc123.eu-west-1.rds.amazonaws.com"})
    assert conn.behind_proxy is True
    assert (
        bridge_connection({"HOST": "db.abc123.eu-west-1.rds.amazonaws.com"}).behind_proxy is False
    )
