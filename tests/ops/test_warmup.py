"""Warm-up pings: answered at once, with no database and no user code; never a real schedule."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import django
import pytest
from django.db import connections
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

import tests.testapp
from django_lambda_bridge.errors import BridgeError, UnknownEventError
from django_lambda_bridge.kinds import Kind, classify
from django_lambda_bridge.ops.warmup import WARM_UP_EVENT, container
from django_lambda_bridge.testing import apigw_http_event
from tests.testapp.models import Widget

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "aws-event-samples"
USER_CODE = str(Path(tests.testapp.__file__).parent)
DJANGO_DIR = Path(django.__file__).parent

#: Parts of Django that mean a request, a query or a template was being handled.
REQUEST_OR_DB = tuple(
    str(DJANGO_DIR / sub) for sub in ("db/backends", "db/models", "core/handlers", "urls")
)


def scheduled_event(**detail: Any) -> dict[str, Any]:
    """A ``Scheduled Event`` from an EventBridge rule without constant Input (AWS docs)."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-10-08T16:53:06Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/keep-warm"],
        "detail": detail,
    }


@contextmanager
def called_files() -> Iterator[set[str]]:
    """The source files of every Python function called inside the block."""
    seen: set[str] = set()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            seen.add(frame.f_code.co_filename)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(previous)


# --- the marker ---------------------------------------------------------------------------


def test_the_marker_is_classified_as_warm_up():
    assert WARM_UP_EVENT == {"warmup": True}
    assert classify(WARM_UP_EVENT) is Kind.WARM_UP
    assert classify(json.loads('{"warmup": true}')) is Kind.WARM_UP


@pytest.mark.parametrize(
    "event",
    [
        scheduled_event(),
        scheduled_event(warmup=True),
        {**scheduled_event(), "warmup": True},
        {"warmup": True, "manage": ["migrate"]},
        {"warmup": True, "invoke": "reindex"},
    ],
    ids=["scheduled", "marker-in-detail", "marker-beside-envelope", "with-manage", "with-invoke"],
)
def test_anything_more_than_the_marker_is_not_a_warm_up(event):
    assert classify(event) is not Kind.WARM_UP


def test_a_real_scheduled_event_is_a_schedule():
    assert classify(scheduled_event()) is Kind.SCHEDULE


@given(
    st.dictionaries(
        st.text(max_size=12),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
        max_size=4,
    )
)
def test_only_the_exact_marker_key_means_warm_up(event):
    try:
        kind = classify(event)
    except UnknownEventError:
        return
    assert (kind is Kind.WARM_UP) == (set(event) == {"warmup"})


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"AWS event samples not found at {SAMPLES}")
def test_no_aws_sample_event_is_mistaken_for_an_ops_event():
    for path in sorted(SAMPLES.glob("*.json")):
        event = json.loads(path.read_text())
        try:
            kind = classify(event)
        except UnknownEventError:
            continue
        assert kind not in (Kind.WARM_UP, Kind.MANAGE), path.name


# --- the reply ----------------------------------------------------------------------------


@pytest.mark.usefixtures("new_container")
def test_the_first_ping_reports_a_cold_start_and_later_ones_do_not(handler, ctx):
    first = handler(dict(WARM_UP_EVENT), ctx)
    assert first["warm"] is True
    assert first["cold_start"] is True
    assert first["invocations"] == 1
    assert isinstance(first["container_age_ms"], int)
    assert first["container_age_ms"] >= 0
    second = handler(dict(WARM_UP_EVENT), ctx)
    assert second["cold_start"] is False
    assert second["invocations"] == 2
    assert second["container_age_ms"] >= first["container_age_ms"]
    json.dumps(second)  # a Lambda reply must serialise


@pytest.mark.django_db
@pytest.mark.usefixtures("new_container")
def test_a_container_that_served_http_is_not_cold(handler, ctx):
    reply = handler(apigw_http_event("GET", "/echo/"), ctx)
    assert reply["statusCode"] == 200
    assert handler(dict(WARM_UP_EVENT), ctx)["cold_start"] is False
    assert container.invocations == 2


# --- no database, no user code --------------------------------------------------------------


def test_database_access_is_blocked_here():
    """The guard the next test relies on: without django_db, any query raises."""
    with pytest.raises(RuntimeError, match="Database access not allowed"):
        Widget.objects.count()


def test_a_warm_up_never_touches_the_database(handler, ctx):
    # No django_db mark: pytest-django makes every connection fail if it is used.
    assert handler(dict(WARM_UP_EVENT), ctx)["warm"] is True


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_warm_up_runs_no_query_and_opens_no_connection(handler, ctx):
    opened: list[str] = []

    def count(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.append(connection.alias)

    with ExitStack() as stack:
        # Entering a capture connects its alias; then drop what can be dropped, so a
        # warm-up that wanted the database would have to open a connection again.
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in connections
        }
        connections.close_all()
        connection_created.connect(count)
        stack.callback(connection_created.disconnect, count)

        assert handler(dict(WARM_UP_EVENT), ctx)["warm"] is True
        during = {alias: len(c.captured_queries) for alias, c in captured.items()}
        opened_during = list(opened)

        # The same instruments do see a query and a new connection when they happen.
        Widget.objects.using("postgres").count()
    assert during == dict.fromkeys(captured, 0)
    assert opened_during == []
    assert opened == ["postgres"]
    assert len(captured["postgres"].captured_queries) == 1


@pytest.mark.django_db
def test_a_warm_up_runs_no_user_code_nor_request_handling(handler, ctx):
    with called_files() as warm_up_calls:
        handler(dict(WARM_UP_EVENT), ctx)
    with called_files() as http_calls:
        handler(apigw_http_event("GET", "/echo/"), ctx)

    def touched(calls: set[str]) -> set[str]:
        return {f for f in calls if f.startswith((USER_CODE, *REQUEST_OR_DB))}

    assert touched(warm_up_calls) == set()
    # The probe does see user code and request handling when they run.
    assert any(f.startswith(USER_CODE) for f in touched(http_calls))
    assert any("core/handlers" in f for f in touched(http_calls))


# --- real schedules are never swallowed ----------------------------------------------------


def _reply_or_error(handler: Callable[..., Any], event: dict[str, Any], ctx: Any) -> Any:
    try:
        return handler(event, ctx)
    except BridgeError as exc:  # nothing routes this schedule in the test project
        return exc


@pytest.mark.parametrize(
    "event",
    [scheduled_event(), scheduled_event(warmup=True), {**scheduled_event(), "warmup": True}],
    ids=["scheduled", "marker-in-detail", "marker-beside-envelope"],
)
def test_a_real_scheduled_event_is_not_answered_as_a_warm_up(handler, ctx, event):
    outcome = _reply_or_error(handler, event, ctx)
    assert not (isinstance(outcome, dict) and "warm" in outcome)
    if isinstance(outcome, BridgeError):
        assert "schedule" in str(outcome).lower()
