"""``@events.sqs_batch``: a queue's records at once, with the failures the route names."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from django_lambda_bridge.errors import BatchFailedError, HandlerReplyError
from django_lambda_bridge.testing import sqs_event, sqs_record

pytestmark = pytest.mark.django_db


def test_the_route_gets_every_record_of_its_queue_in_order(router, run):
    seen = []
    router.sqs_batch(queue="hooks")(lambda records: seen.append(records))
    event = sqs_event("a", "b", "c", queue="hooks")
    assert run(event) == {"batchItemFailures": []}
    (records,) = seen
    assert all(isinstance(r, SQSRecord) for r in records)
    assert [r.body for r in records] == ["a", "b", "c"]


@pytest.mark.parametrize("as_records", [False, True], ids=["ids", "records"])
def test_the_failures_it_returns_are_reported_in_batch_order(router, run, as_records):
    def deliver(records):
        failed = [r for r in records if r.body.startswith("fail")]
        return failed if as_records else [r.message_id for r in reversed(failed)]

    router.sqs_batch(queue="hooks")(deliver)
    event = sqs_event("fail-1", "ok", "fail-2", queue="hooks")
    ids = [r["messageId"] for r in event["Records"]]
    assert run(event) == {
        "batchItemFailures": [{"itemIdentifier": ids[0]}, {"itemIdentifier": ids[2]}]
    }


def test_raising_fails_the_whole_batch(router, run, caplog):
    def deliver(records):
        raise RuntimeError("receiver pool exploded")

    router.sqs_batch(queue="hooks")(deliver)
    with pytest.raises(BatchFailedError, match="All 2 sqs records failed"):
        run(sqs_event("a", "b", queue="hooks"))
    assert "receiver pool exploded" in caplog.text


def test_reporting_every_record_failed_raises_too(router, run):
    router.sqs_batch(queue="hooks")(lambda records: records)
    with pytest.raises(BatchFailedError):
        run(sqs_event("a", "b", queue="hooks"))


@pytest.mark.parametrize("reply", ["oops", {"failed": []}, 3])
def test_a_reply_that_is_not_a_list_of_failures_is_refused(router, run, reply):
    router.sqs_batch(queue="hooks")(lambda records: reply)
    with pytest.raises(HandlerReplyError, match="must return the failed records"):
        run(sqs_event("a", queue="hooks"))


def test_an_unknown_message_id_is_refused_not_ignored(router, run):
    router.sqs_batch(queue="hooks")(lambda records: ["not-in-this-batch"])
    with pytest.raises(HandlerReplyError, match="not-in-this-batch"):
        run(sqs_event("a", "b", queue="hooks"))


def test_other_queues_in_the_event_keep_per_record_routes(router, run):
    batches, singles = [], []
    router.sqs_batch(queue="hooks")(lambda records: batches.append([r.body for r in records]))

    def one(record):
        if record.body == "bad":
            raise ValueError("bad")
        singles.append(record.body)

    router.sqs(queue="jobs")(one)
    event = sqs_event(
        sqs_record("h1", queue="hooks"),
        sqs_record("bad", queue="jobs"),
        sqs_record("j1", queue="jobs"),
        sqs_record("h2", queue="hooks"),
    )
    bad = event["Records"][1]["messageId"]
    assert run(event) == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert batches == [["h1", "h2"]]
    assert singles == ["j1"]


def test_a_per_record_batch_that_all_fails_beside_a_good_batch_route(router, run):
    router.sqs_batch(queue="hooks")(lambda records: None)
    router.sqs(queue="jobs")(lambda record: 1 / 0)
    event = sqs_event(sqs_record("h", queue="hooks"), sqs_record("j", queue="jobs"))
    assert run(event) == {
        "batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]
    }


def test_it_gets_the_lambda_context_when_it_asks(router, run):
    seen = []

    def deliver(records, lambda_context):
        seen.append(lambda_context)

    router.sqs_batch(queue="hooks")(deliver)
    context = object()
    run(sqs_event("a", queue="hooks"), context)
    assert seen == [context]


def test_a_batch_route_and_a_record_route_for_one_queue_conflict(router):
    router.sqs_batch(queue="hooks")(lambda records: None)
    router.sqs(queue="hooks")(lambda record: None)
    (conflict,) = router.conflicts()
    assert "@events.sqs_batch(queue='hooks')" in str(conflict)
    assert "@events.sqs(queue='hooks')" in str(conflict)


def test_atomic_batch_routes_roll_back_when_they_raise(router, run):
    from django.contrib.auth.models import Group

    def deliver(records):
        Group.objects.create(name="half-done")
        raise RuntimeError("after a write")

    router.sqs_batch(queue="hooks", atomic=True)(deliver)
    with pytest.raises(BatchFailedError):
        run(sqs_event("a", queue="hooks"))
    assert not Group.objects.filter(name="half-done").exists()
