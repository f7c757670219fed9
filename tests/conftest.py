"""Session-wide test infrastructure: a throwaway PostgreSQL cluster and a moto server.

PostgreSQL: tests marked ``postgres`` (or whose ``django_db`` marker names the
``postgres`` alias) get a real server, started only if such a test was
collected. Without server binaries they skip, except under ``CI=true`` where
they fail, so CI can never go green without having run them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.postgres import (
    SUPERUSER,
    LazyCluster,
    PostgresCluster,
    PostgresStartError,
    PostgresUnavailable,
    find_binaries,
)

CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
POSTGRES_IS_DEFAULT = os.environ.get("DLB_TEST_DB") == "postgres"
PG_ALIAS = "postgres"

_cluster = LazyCluster()


def _binaries_missing() -> PostgresUnavailable | None:
    try:
        find_binaries()
    except PostgresUnavailable as exc:
        return exc
    return None


def _needs_postgres(item: pytest.Item) -> bool:
    if item.get_closest_marker("postgres"):
        return True
    marker = item.get_closest_marker("django_db")
    databases = marker.kwargs.get("databases") if marker else None
    return databases == "__all__" or (
        isinstance(databases, (list, tuple, set)) and PG_ALIAS in databases
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    pg_items = [item for item in items if _needs_postgres(item)]
    for item in pg_items:
        if not item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.postgres)
    missing = _binaries_missing() if (pg_items or POSTGRES_IS_DEFAULT) else None
    if missing is None:
        return
    if POSTGRES_IS_DEFAULT:
        raise pytest.UsageError(f"DLB_TEST_DB=postgres, but {missing}")
    if not CI:
        skip = pytest.mark.skip(reason=str(missing))
        for item in pg_items:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Start the cluster before the test's fixtures, so a failure reads as itself."""
    if not item.get_closest_marker("postgres"):
        return
    if not CI and _binaries_missing():
        return  # skipped by the marker added at collection
    try:
        _cluster.get()
    except (PostgresUnavailable, PostgresStartError) as exc:
        prefix = "CI=true requires the PostgreSQL tests to run, but: " if CI else ""
        pytest.fail(f"{prefix}{exc}", pytrace=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    _cluster.stop()


@pytest.fixture(scope="session")
def _postgres_lifecycle() -> Iterator[LazyCluster]:
    """Owns the cluster's lifetime; torn down after pytest-django drops the test databases."""
    yield _cluster
    _cluster.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    _postgres_lifecycle: LazyCluster,
    request: pytest.FixtureRequest,
) -> None:
    """Point the PostgreSQL aliases at the cluster before test databases are created.

    The dicts are changed in place: Django's connection handler holds these very
    objects, so a connection made later (or already made) sees the real port.
    """
    from django.conf import settings
    from django.db import connections

    databases: dict[str, dict[str, Any]] = settings.DATABASES
    if not (POSTGRES_IS_DEFAULT or any(_needs_postgres(i) for i in request.session.items)):
        return  # nothing collected needs it: don't pay for initdb
    try:
        cluster = _postgres_lifecycle.get()
    except (PostgresUnavailable, PostgresStartError):
        if POSTGRES_IS_DEFAULT:
            raise
        # The postgres tests are skipped or failed by their own hook; keep the alias
        # out of setup_databases() so every other test still runs.
        databases.pop(PG_ALIAS, None)
        with contextlib.suppress(AttributeError):  # no connection object made yet
            del connections[PG_ALIAS]
        return
    for alias in ("default", PG_ALIAS):
        db = databases.get(alias)
        if db is not None and db["ENGINE"] == "django.db.backends.postgresql":
            db["HOST"] = cluster.host
            db["PORT"] = str(cluster.port)
            db["USER"] = SUPERUSER


@pytest.fixture(scope="session")
def postgres_cluster(django_db_modify_db_settings: None) -> PostgresCluster:
    """The running cluster (host, port, superuser); fails or skips like the marker."""
    try:
        return _cluster.get()
    except PostgresUnavailable as exc:
        if CI:
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    except PostgresStartError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def pg_superuser_conn(postgres_cluster: PostgresCluster, django_db_setup: None) -> Iterator[Any]:
    """An autocommit psycopg2 connection as superuser to the ``postgres`` alias's test DB."""
    import psycopg2
    from django.db import connections

    conn = psycopg2.connect(
        host=postgres_cluster.host,
        port=postgres_cluster.port,
        user=SUPERUSER,
        dbname=connections[PG_ALIAS].settings_dict["NAME"],
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Any]:
    """A moto server on 127.0.0.1 for the whole session; reach it with ``.client(service)``."""
    from django_lambda_bridge.testing.aws import MotoServer  # imported late: optional extra

    with MotoServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _no_lingering_handler_settings():
    """Each test starts with the handler settings it found, whatever handlers it made.

    In production one handler serves a process, so the last one made or invoked
    is the one in force (``conf._active``); in a test session that would let one
    test's ``make_handler(**options)`` decide a later test's settings, by order.
    """
    from django_lambda_bridge import conf

    saved = conf._active
    yield
    conf._active = saved
