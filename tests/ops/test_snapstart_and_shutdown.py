"""SnapStart hooks (the runtime's ``snapshot_restore_py`` played by a module of two
lists) and the SIGTERM clean-up; a real process gets SIGTERM in tests/db."""

from __future__ import annotations

import json
import random
import sys
import types

import pytest
from django.db import connections

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.ops import snapstart
from django_lambda_bridge.ops.shutdown import shut_down

# A real server, outside a test transaction: closing must really close.
pytestmark = [pytest.mark.django_db(databases=["default", "postgres"], transaction=True)]
connection = connections["postgres"]


def test_a_connection_left_open_by_init_fails_a_snapstart_init():
    connection.ensure_connection()
    with pytest.raises(ConfigurationError, match="SnapStart is on, and the init phase opened"):
        snapstart.refuse_init_connections(BridgeSettings(SNAPSTART=True))
    snapstart.refuse_init_connections(BridgeSettings(SNAPSTART=False))  # off: allowed


def test_snapstart_is_read_from_the_runtime_environment(monkeypatch):
    monkeypatch.setenv(snapstart.INIT_TYPE_ENV, "snap-start")
    assert snapstart.snapstart_enabled(BridgeSettings()) is True
    monkeypatch.setenv(snapstart.INIT_TYPE_ENV, "on-demand")
    assert snapstart.snapstart_enabled(BridgeSettings()) is False


def test_before_the_snapshot_every_connection_is_closed():
    connection.ensure_connection()
    assert connection.connection is not None
    snapstart.before_snapshot()
    assert connection.connection is None
    assert "postgres" not in snapstart.open_connections()


def test_each_restore_draws_its_own_random_numbers():
    random.seed(1234)  # the state every restored environment starts from
    state = random.getstate()
    draws = []
    for _ in range(2):
        random.setstate(state)
        snapstart.after_restore()
        draws.append(random.random())
    assert draws[0] != draws[1]


def test_hooks_are_registered_with_the_runtime(monkeypatch):
    before, after = [], []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = before.append
    runtime.register_after_restore = after.append
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    assert snapstart.register_hooks() is True
    assert before == [snapstart.before_snapshot]
    assert after == [snapstart.after_restore]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    assert snapstart.register_hooks() is False  # not in a SnapStart runtime: a no-op


def test_shutdown_closes_connections_and_flushes_pending_metrics(capsys):
    from django_lambda_bridge.observability.metrics import EmfMetrics

    metrics = EmfMetrics("Tests", "svc")
    metrics.count("Requests")
    connection.ensure_connection()
    shut_down(metrics.flush)
    assert connection.connection is None
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert len(emf) == 1
    assert emf[0]["Requests"] in (1.0, [1.0])


def test_the_sigterm_handler_chains_to_the_one_before_it_once():
    import signal

    from django_lambda_bridge.ops.shutdown import install_sigterm_handler

    calls = []
    before = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
        flushed = []
        install_sigterm_handler(lambda: flushed.append(1))
        install_sigterm_handler(lambda: flushed.append(2))  # a second handler replaces ours
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        assert flushed == [2]
        assert calls == [signal.SIGTERM]  # the earlier, foreign handler still runs, once
    finally:
        signal.signal(signal.SIGTERM, before)
