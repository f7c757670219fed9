"""Replay protection on a DatabaseCache in real PostgreSQL: one memory for every process."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from django_lambda_bridge.checks import check_proxy
from django_lambda_bridge.events.signing import sign_event
from django_lambda_bridge.testing import invoke_event

SECRET = "s3cret-for-tests-only-0123456789abcdef"
URL = "/lambda-proxy-non-api-events"
TABLE = "dlb_proxy_replay"

pytestmark = [
    pytest.mark.urls("tests.events.urls"),
    pytest.mark.django_db(databases=["default", "postgres"], transaction=True),
]


@pytest.fixture
def replay_on_postgres(settings, pg_superuser_conn):
    settings.DATABASE_ROUTERS = ["tests.events.replay_cache.CacheOnPostgres"]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "replay": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": TABLE},
    }
    settings.LAMBDA_BRIDGE = {"PROXY_SECRET": SECRET, "PROXY_REPLAY_CACHE": "replay"}
    call_command("createcachetable", database="postgres", verbosity=0)
    yield pg_superuser_conn
    with pg_superuser_conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def post(client, body: bytes, headers: dict[str, str]):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(URL, data=body, content_type="application/json", **extra)


def test_a_replay_is_refused_and_the_memory_is_visible_to_other_connections(
    client, calls, replay_on_postgres
):
    assert check_proxy() == []  # a shared cache: nothing to report
    body, headers = sign_event(invoke_event("eventsapp-reindex", 7), SECRET)
    assert post(client, body, headers).status_code == 200
    # Another connection (as another server process would have) sees the used signature.
    with replay_on_postgres.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {TABLE}")
        keys = [row[0] for row in cursor.fetchall()]
    signature = headers["X-Lambda-Bridge-Signature"]
    assert any(signature in key for key in keys), keys
    assert post(client, body, headers).status_code == 403
    assert calls == [("invoke", 7)]
