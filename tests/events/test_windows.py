"""Tumbling-window Kinesis and DynamoDB batches: the state goes in and comes back out."""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.errors import (
    HandlerReplyError,
    MalformedEventError,
    NoRouteError,
    UnroutableEventError,
)
from django_lambda_bridge.events.windows import TumblingWindow
from django_lambda_bridge.kinds import Kind, classify
from django_lambda_bridge.testing import (
    dynamodb_record,
    dynamodb_window_event,
    kinesis_window_event,
)
from tests.http_support import SAMPLES_DIR

pytestmark = pytest.mark.django_db


def count_by_partition(window: TumblingWindow) -> dict:
    state = dict(window.state)
    for record in window.records:
        key = record.kinesis.partition_key
        state[key] = state.get(key, 0) + 1
    return state


def test_the_state_is_given_and_the_new_state_returned(router, run):
    router.kinesis_window(stream="clicks")(count_by_partition)
    event = kinesis_window_event("a", "b", stream="clicks", state={"partition-1": 40})
    assert run(event) == {"state": {"partition-1": 42}, "batchItemFailures": []}


def test_window_facts_reach_the_handler(router, run):
    seen = []
    router.kinesis_window()(lambda w: seen.append(w) or {})
    event = kinesis_window_event(
        "x", start="2026-01-01T00:00:00Z", end="2026-01-01T00:02:00Z", terminated_early=True
    )
    run(event)
    (window,) = seen
    assert (window.start, window.end) == ("2026-01-01T00:00:00Z", "2026-01-01T00:02:00Z")
    assert window.is_terminated_early
    assert not window.is_final_invoke
    assert window.shard_id == event["shardId"]
    assert window.records[0].kinesis.data_as_text() == "x"


def test_the_final_invoke_may_have_no_records_and_return_nothing(router, run):
    emitted = []
    router.kinesis_window()(lambda w: emitted.append(dict(w.state)))
    event = kinesis_window_event(stream="clicks", state={"n": 7}, final=True)
    assert event["Records"] == []
    assert classify(event) is Kind.KINESIS  # told by the top-level eventSourceARN
    assert run(event) == {"state": {}, "batchItemFailures": []}
    assert emitted == [{"n": 7}]


def test_forgetting_to_return_the_state_is_an_error_not_a_silent_loss(router, run):
    router.kinesis_window()(lambda w: None)
    with pytest.raises(HandlerReplyError, match="must return the new state"):
        run(kinesis_window_event("x", state={"n": 1}))


def test_a_state_over_lambdas_limit_is_refused(router, run):
    router.kinesis_window()(lambda w: {"big": "x" * (1024 * 1024)})
    with pytest.raises(HandlerReplyError, match="1 MB"):
        run(kinesis_window_event("x"))


def test_dynamodb_windows(router, run):
    def total(window):
        amount = sum(int(r.dynamodb.new_image["amount"]) for r in window.records)
        return {"total": window.state.get("total", 0) + amount}

    router.dynamodb_window(table="orders")(total)
    records = [dynamodb_record({"id": i}, new_image={"amount": i}, table="orders") for i in (1, 2)]
    event = dynamodb_window_event(*records, table="orders", state={"total": 10})
    assert classify(event) is Kind.DYNAMODB
    assert run(event) == {"state": {"total": 13}, "batchItemFailures": []}


def test_a_window_batch_is_refused_by_a_per_record_route(router, run):
    """Running it per record would drop the state: refuse, naming the decorator to use."""
    ran = []
    router.kinesis(stream="clicks")(ran.append)
    with pytest.raises(UnroutableEventError, match=r"@events.kinesis_window"):
        run(kinesis_window_event("x", stream="clicks"))
    assert ran == []


def test_a_window_batch_with_no_route_names_the_window_decorator(router, run):
    with pytest.raises(NoRouteError, match=r"@events.dynamodb_window"):
        run(dynamodb_window_event(table="orders"))


def test_window_routes_and_record_routes_of_one_stream_do_not_conflict(router, run):
    router.kinesis(stream="clicks")(lambda r: None)
    router.kinesis_window(stream="clicks")(lambda w: {})
    assert router.conflicts() == []
    assert run(kinesis_window_event("x", stream="clicks"))["state"] == {}


def test_a_failing_window_handler_raises_so_the_batch_is_retried(router, run):
    def boom(window):
        raise RuntimeError("no")

    router.kinesis_window()(boom)
    with pytest.raises(RuntimeError):
        run(kinesis_window_event("x"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("window", "soon", "'window'"),
        ("state", [1], "'state'"),
        ("isFinalInvokeForWindow", "yes", "isFinalInvokeForWindow"),
        ("Records", {"a": 1}, "'Records'"),
    ],
)
def test_malformed_window_events_name_the_field(router, run, field, value, message):
    router.kinesis_window()(lambda w: {})
    event = kinesis_window_event("x")
    event[field] = value
    with pytest.raises(MalformedEventError, match=message):
        run(event)


@pytest.mark.skipif(not SAMPLES_DIR.is_dir(), reason="AWS event samples not found")
def test_the_aws_sample(router, run):
    from tests.events.test_records_and_kinds import missing_keys, shape

    sample = json.loads((SAMPLES_DIR / "kinesisStreamTumblingWindowEvent.json").read_text())
    router.kinesis_window(stream="lambda-stream")(count_by_partition)
    assert run(sample) == {"state": {"1": 283, "2": 715}, "batchItemFailures": []}
    built = kinesis_window_event("x", state={"1": 0, "2": 0})
    assert missing_keys(shape(sample), shape(built)) == []
