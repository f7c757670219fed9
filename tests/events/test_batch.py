"""Partial batch failures, FIFO group order, stream order and the deadline margin."""

from __future__ import annotations

import pytest

from django_lambda_bridge.errors import BatchFailedError, MalformedEventError
from django_lambda_bridge.testing import (
    FakeContext,
    dynamodb_event,
    dynamodb_record,
    kinesis_event,
    kinesis_record,
    sqs_event,
    sqs_record,
)

# Hygiene checks the (test) database connections around every record.
pytestmark = pytest.mark.django_db


def failures(reply):
    return [f["itemIdentifier"] for f in reply["batchItemFailures"]]


class Recorder:
    """A handler that fails on bodies starting with "fail", recording what ran."""

    def __init__(self, context: FakeContext | None = None, spend_ms: int = 0):
        self.ran: list[str] = []
        self.context = context
        self.spend_ms = spend_ms

    def __call__(self, record):
        body = record.body if hasattr(record, "body") else record.kinesis.data_as_text()
        self.ran.append(body)
        if self.context is not None:  # each record "takes" spend_ms of the invocation
            self.context.remaining_ms = self.context.remaining_ms - self.spend_ms
        if body.startswith("fail"):
            raise RuntimeError(body)


def test_only_failed_records_are_reported(router, run):
    handler = Recorder()
    router.sqs(queue="q")(handler)
    event = sqs_event("a", "fail-b", "c", "fail-d", queue="q")
    ids = [r["messageId"] for r in event["Records"]]
    assert failures(run(event)) == [ids[1], ids[3]]
    assert handler.ran == ["a", "fail-b", "c", "fail-d"]


def test_a_batch_where_everything_failed_raises(router, run):
    router.sqs(queue="q")(Recorder())
    with pytest.raises(BatchFailedError, match=r"All 2 sqs records failed.*RuntimeError: fail-1"):
        run(sqs_event("fail-1", "fail-2", queue="q"))


def test_fifo_failed_group_stops_but_other_groups_go_on(router, run):
    handler = Recorder()
    router.sqs(queue="orders.fifo")(handler)
    records = [
        sqs_record("a1", queue="orders.fifo", group_id="A"),
        sqs_record("fail-a2", queue="orders.fifo", group_id="A"),
        sqs_record("b1", queue="orders.fifo", group_id="B"),
        sqs_record("a3", queue="orders.fifo", group_id="A"),
        sqs_record("b2", queue="orders.fifo", group_id="B"),
    ]
    reply = run({"Records": records})
    assert handler.ran == ["a1", "fail-a2", "b1", "b2"]  # a3 never ran out of order
    assert failures(reply) == [records[1]["messageId"], records[3]["messageId"]]


def test_standard_queue_keeps_going_after_a_failure(router, run):
    """The same batch on a standard queue: no group rule, a3 runs."""
    handler = Recorder()
    router.sqs(queue="orders")(handler)
    run(sqs_event("a1", "fail-a2", "a3", queue="orders"))
    assert handler.ran == ["a1", "fail-a2", "a3"]


def test_deadline_stops_taking_records_and_reports_the_rest(router, run):
    context = FakeContext(timeout_ms=60_000)
    handler = Recorder(context, spend_ms=20_000)
    router.sqs(queue="q")(handler)
    event = sqs_event("r1", "r2", "r3", "r4", queue="q")
    ids = [r["messageId"] for r in event["Records"]]
    reply = run(event, context, deadline_margin_ms=25_000, deadline_margin_fraction=1.0)
    # 60 s -> r1 -> 40 s -> r2 -> 20 s left < 25 s margin: r3 and r4 are not run.
    assert handler.ran == ["r1", "r2"]
    assert failures(reply) == ids[2:]


def test_the_margin_is_capped_by_a_fraction_of_the_starting_time(router, run):
    """The same batch with the default fraction: 25% of 60 s is 15 s, under the 25 s."""
    context = FakeContext(timeout_ms=60_000)
    handler = Recorder(context, spend_ms=20_000)
    router.sqs(queue="q")(handler)
    event = sqs_event("r1", "r2", "r3", "r4", queue="q")
    reply = run(event, context, deadline_margin_ms=25_000)
    # 60 -> r1 -> 40 -> r2 -> 20 (>= 15) -> r3 -> 0 (< 15): only r4 waits.
    assert handler.ran == ["r1", "r2", "r3"]
    assert failures(reply) == [event["Records"][3]["messageId"]]


@pytest.mark.parametrize("timeout_ms", [3_000, 6_000])
def test_short_timeouts_run_the_whole_batch_with_the_default_margin(router, run, timeout_ms):
    """Issue 7 item 1: a 10 s margin under Lambda's 3 s default once ran one record."""
    context = FakeContext(timeout_ms=timeout_ms)
    handler = Recorder(context, spend_ms=100)
    router.sqs(queue="q")(handler)
    event = sqs_event(*(f"r{i}" for i in range(10)), queue="q")
    assert failures(run(event, context)) == []
    assert handler.ran == [f"r{i}" for i in range(10)]


def test_deadline_margin_zero_runs_everything(router, run):
    context = FakeContext(timeout_ms=60_000)
    handler = Recorder(context, spend_ms=20_000)
    router.sqs(queue="q")(handler)
    assert (
        failures(run(sqs_event("r1", "r2", "r3", queue="q"), context, deadline_margin_ms=0)) == []
    )
    assert handler.ran == ["r1", "r2", "r3"]


def test_the_first_record_always_runs(router, run, caplog):
    context = FakeContext(timeout_ms=3_000)
    handler = Recorder(context, spend_ms=2_900)  # the first record eats nearly everything
    router.sqs(queue="q")(handler)
    event = sqs_event("r1", "r2", queue="q")
    reply = run(event, context)
    assert handler.ran == ["r1"]
    assert failures(reply) == [event["Records"][1]["messageId"]]
    assert "counts as one receive" in caplog.text


def test_no_context_means_no_deadline(router, run):
    handler = Recorder()
    router.sqs(queue="q")(handler)
    run(sqs_event("r1", "r2", queue="q"), None, deadline_margin_ms=10**9)
    assert handler.ran == ["r1", "r2"]


def test_kinesis_stops_at_the_first_failure(router, run):
    handler = Recorder()
    router.kinesis(stream="clicks")(handler)
    event = kinesis_event("k1", "fail-k2", "k3", stream="clicks")
    seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    reply = run(event)
    assert handler.ran == ["k1", "fail-k2"]
    assert failures(reply) == seqs[1:]


def test_dynamodb_failures_are_reported_by_sequence_number(router, run):
    def handle(record):
        if record.dynamodb.keys["id"] == "2":
            raise RuntimeError("no")

    router.dynamodb(table="orders")(handle)
    records = [dynamodb_record({"id": str(i)}, table="orders") for i in (1, 2, 3)]
    reply = run(dynamodb_event(*records))
    assert failures(reply) == [r["dynamodb"]["SequenceNumber"] for r in records[1:]]


def test_records_without_an_id_refuse_the_batch(router, run):
    router.kinesis()(Recorder())
    record = kinesis_record("x")
    del record["kinesis"]["sequenceNumber"]
    with pytest.raises(MalformedEventError, match="no identifier"):
        run({"Records": [record]})


# ----- malformed FIFO records fail alone (issue 7, item 13) ----------------------------


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ("not-an-object", "'attributes'"),
        (["MessageGroupId", "A"], "'attributes'"),
        ({"MessageGroupId": 7}, "'attributes.MessageGroupId'"),
        ({"MessageGroupId": ["A"]}, "'attributes.MessageGroupId'"),
    ],
)
def test_a_malformed_fifo_record_fails_alone(router, run, caplog, attributes, field):
    handler = Recorder()
    router.sqs(queue="orders.fifo")(handler)
    records = [
        sqs_record("a1", queue="orders.fifo", group_id="A"),
        sqs_record("bad", queue="orders.fifo", group_id="B"),
        sqs_record("a2", queue="orders.fifo", group_id="A"),
        sqs_record("c1", queue="orders.fifo", group_id="C"),
    ]
    records[1]["attributes"] = attributes
    reply = run({"Records": records})
    assert failures(reply) == [records[1]["messageId"]]
    assert handler.ran == ["a1", "a2", "c1"]
    (line,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert isinstance(line.args[-1], MalformedEventError)
    assert field in line.getMessage()
    assert records[1]["messageId"] in line.getMessage()


def test_a_malformed_group_does_not_stop_a_failed_groups_rule(router, run):
    handler = Recorder()
    router.sqs(queue="orders.fifo")(handler)
    records = [
        sqs_record("fail-a1", queue="orders.fifo", group_id="A"),
        sqs_record("bad", queue="orders.fifo", group_id="B"),
        sqs_record("a2", queue="orders.fifo", group_id="A"),
        sqs_record("c1", queue="orders.fifo", group_id="C"),
    ]
    records[1]["attributes"] = None
    reply = run({"Records": records})
    assert handler.ran == ["fail-a1", "c1"]  # a2 still waits behind its failed group
    assert failures(reply) == [r["messageId"] for r in records[:3]]


# ----- a record with no route logs one line (issue 7, item 15) ---------------------------


def test_a_record_with_no_route_logs_one_line_without_a_traceback(router, run, caplog):
    router.sqs(queue="known")(Recorder())
    event = sqs_event("a", queue="known")
    event["Records"].append(sqs_record("b", queue="unknown"))
    reply = run(event)
    assert failures(reply) == [event["Records"][1]["messageId"]]
    logged = [r for r in caplog.records if r.name.startswith(("django_lambda_bridge", "aws_"))]
    errors = [r for r in logged if r.levelname in ("ERROR", "WARNING") and "failed" in r.msg]
    assert len(errors) == 1
    (line,) = errors
    assert line.exc_info is None
    assert "Traceback" not in caplog.text
    message = line.getMessage()
    assert event["Records"][1]["messageId"] in message
    assert "No route for the SQS record from queue" in message
    assert "unknown" in message
    assert "\n" not in message


def test_a_failing_handler_still_logs_its_traceback(router, run, caplog):
    router.sqs(queue="q")(Recorder())
    event = sqs_event("ok", "fail-x", queue="q")
    run(event)
    (line,) = [r for r in caplog.records if r.levelname == "WARNING" and "failed" in r.msg]
    assert line.exc_info is not None
    assert "RuntimeError: fail-x" in caplog.text
