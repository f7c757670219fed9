"""Each kind reaches its route with a Powertools data class; envelopes are opened."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.data_classes.cloud_watch_logs_event import (
    CloudWatchLogsEvent,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.event_bridge_event import EventBridgeEvent
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.data_classes.s3_event import (
    S3EventBridgeNotificationEvent,
    S3EventRecord,
)
from aws_lambda_powertools.utilities.data_classes.sns_event import SNSEventRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from django_lambda_bridge.errors import (
    AmbiguousRouteError,
    BatchFailedError,
    EventError,
    MalformedEventError,
    NoRouteError,
    UnroutableEventError,
)
from django_lambda_bridge.testing import (
    FakeContext,
    cloudwatch_logs_event,
    dynamodb_event,
    dynamodb_record,
    eventbridge_event,
    invoke_event,
    kinesis_event,
    s3_event,
    s3_record,
    s3_sqs_record,
    s3_test_event,
    scheduled_event,
    scheduler_event,
    sns_event,
    sns_sqs_record,
    sqs_event,
    sqs_record,
)

# Hygiene checks the (test) database connections around every record.
pytestmark = pytest.mark.django_db


@pytest.fixture
def seen():
    return []


def test_sqs_record_reaches_its_queue_route(router, run, seen):
    router.sqs(queue="callbacks")(seen.append)
    assert run(sqs_event("hello", queue="callbacks")) == {"batchItemFailures": []}
    assert isinstance(seen[0], SQSRecord)
    assert seen[0].body == "hello"


def test_sns_direct(router, run, seen):
    router.sns(topic="alerts")(seen.append)
    assert run(sns_event({"a": 1}, topic="alerts")) is None
    assert isinstance(seen[0], SNSEventRecord)
    assert json.loads(seen[0].sns.message) == {"a": 1}


def test_sns_through_sqs_is_unwrapped_to_an_sns_record(router, run, seen):
    router.sns(topic="alerts")(seen.append)
    run(sqs_event(sns_sqs_record("hi", topic="alerts", queue="inbox", subject="s")))
    record = seen[0]
    assert isinstance(record, SNSEventRecord)
    assert record.sns.message == "hi"
    assert record.sns.subject == "s"
    assert record.sns.topic_arn.endswith(":alerts")
    assert record.sns.signing_cert_url.startswith("https://")  # ...URL respelled ...Url


def test_queue_route_wins_over_the_envelope_inside(router, run, seen):
    """Outermost layer with a route wins: the SQS route sees the raw envelope."""
    router.sqs(queue="inbox")(seen.append)
    router.sns(topic="alerts")(lambda r: pytest.fail("inner route must not run"))
    run(sqs_event(sns_sqs_record("hi", topic="alerts", queue="inbox")))
    assert isinstance(seen[0], SQSRecord)
    assert seen[0].decoded_nested_sns_event.message == "hi"


def test_s3_direct_and_through_sqs_and_sns(router, run, seen):
    router.s3(bucket="media", prefix="in/")(seen.append)
    run(s3_event(bucket="media", key="in/a b.txt"))
    run(sqs_event(s3_sqs_record("media", "in/c.txt", queue="uploads")))
    # S3 -> SNS -> SQS: two envelopes around the notification.
    nested = sns_sqs_record(s3_event(bucket="media", key="in/d.txt"), topic="t", queue="q")
    run(sqs_event(nested))
    assert all(isinstance(r, S3EventRecord) for r in seen)
    assert [r.s3.get_object.key for r in seen] == ["in/a+b.txt", "in/c.txt", "in/d.txt"]


def test_s3_test_event_in_a_queue_is_acknowledged(router, run):
    router.s3(bucket="media")(lambda r: pytest.fail("no S3 record to run"))
    reply = run(sqs_event(json.dumps(s3_test_event("media")), queue="uploads"))
    assert reply == {"batchItemFailures": []}


def test_eventbridge_direct_and_through_sqs(router, run, seen):
    router.eventbridge(source="flux.exchange", detail_type="MessageDelivered")(seen.append)
    run(eventbridge_event("flux.exchange", "MessageDelivered", {"id": 7}))
    inner = eventbridge_event("flux.exchange", "MessageDelivered", {"id": 8})
    run(sqs_event(json.dumps(inner), queue="bus-target"))
    assert all(isinstance(e, EventBridgeEvent) for e in seen)
    assert [e.detail["id"] for e in seen] == [7, 8]


def test_s3_via_eventbridge_gets_the_s3_data_class(router, run, seen):
    router.eventbridge(source="aws.s3", detail_type="Object Created")(seen.append)
    event = eventbridge_event(
        "aws.s3", "Object Created", {"bucket": {"name": "media"}, "object": {"key": "k"}}
    )
    run(event)
    assert isinstance(seen[0], S3EventBridgeNotificationEvent)
    assert seen[0].detail.bucket.name == "media"


def test_eventbridge_returns_the_handlers_value(router, run):
    router.eventbridge(source="s")(lambda e: {"ok": e.detail_type})
    assert run(eventbridge_event("s", "T")) == {"ok": "T"}


def test_schedule_rule_and_scheduler(router, run, seen):
    router.schedule("sweep")(seen.append)
    run(scheduled_event("sweep"))
    run(scheduled_event("sweep", bus="ops"))
    run(scheduler_event("sweep", group="maintenance"))
    assert len(seen) == 3
    assert seen[2].source == "aws.scheduler"
    with pytest.raises(NoRouteError, match=r"@events\.schedule"):
        run(scheduled_event("other"))


def test_scheduled_event_is_never_sent_to_eventbridge_routes(router, run):
    router.eventbridge()(lambda e: pytest.fail("schedules go to @events.schedule"))
    with pytest.raises(NoRouteError):
        run(scheduled_event("sweep"))


def test_schedule_without_resources_is_malformed(router, run):
    router.schedule("sweep")(lambda e: None)
    event = scheduled_event("sweep")
    del event["resources"]
    with pytest.raises(MalformedEventError, match="resources"):
        run(event)


def test_streams_and_logs(router, run, seen):
    router.dynamodb(table="orders")(seen.append)
    router.kinesis(stream="clicks")(seen.append)
    router.cloudwatch_logs(log_group="/aws/lambda/worker")(seen.append)
    run(dynamodb_event(dynamodb_record({"id": "1"}, new_image={"n": 2}, table="orders")))
    run(kinesis_event({"click": 1}, stream="clicks"))
    run(cloudwatch_logs_event(["a", "b"], log_group="/aws/lambda/worker"))
    assert isinstance(seen[0], DynamoDBRecord)
    assert seen[0].dynamodb.new_image == {"n": 2}
    assert isinstance(seen[1], KinesisStreamRecord)
    assert seen[1].kinesis.data_as_json() == {"click": 1}
    assert isinstance(seen[2], CloudWatchLogsEvent)
    assert [e.message for e in seen[2].parse_logs_data().log_events] == ["a", "b"]


def test_invoke_returns_the_result(router, run):
    router.invoke("reindex")(lambda payload: {"got": payload})
    assert run(invoke_event("reindex", {"model": "orders"})) == {"got": {"model": "orders"}}
    assert run(invoke_event("reindex")) == {"got": None}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"invoke": 3}, "not a str"),
        ({"invoke": "reindex", "args": [1]}, "Unexpected key"),
    ],
)
def test_bad_invocations(router, run, event, message):
    router.invoke("reindex")(lambda payload: payload)
    with pytest.raises(MalformedEventError, match=message):
        run(event)


def test_unknown_invocation_name(router, run):
    with pytest.raises(NoRouteError, match="'nope'"):
        run(invoke_event("nope"))


def test_handlers_naming_lambda_context_get_it(router, run):
    router.invoke("remaining")(lambda payload, lambda_context: lambda_context.remaining_ms)
    assert run(invoke_event("remaining"), FakeContext(timeout_ms=60_000)) > 50_000


def test_warm_up_and_manage_are_not_routed(router, run):
    with pytest.raises(UnroutableEventError, match="ops"):
        run({"manage": ["check"]})


def test_ambiguity_found_at_dispatch_fails_the_record(router, run):
    router.sqs()(lambda r: None)
    router.sqs(queue="callbacks")(lambda r: None)
    with pytest.raises(BatchFailedError) as info:
        run(sqs_event("x", queue="callbacks"))
    assert isinstance(info.value.__cause__.child_exceptions[0][1], AmbiguousRouteError)


@pytest.mark.parametrize(
    "event",
    [
        {"Records": "nope"},
        {"Records": [{"eventSource": "aws:sqs", "body": "no id"}]},
        {"Records": [{"eventSource": "aws:sns", "Sns": {"Message": "no topic"}}]},
        {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {}}}]},
        {"Records": [{"eventSource": "aws:sns", "Sns": None}]},
        {"source": 1, "detail-type": "x", "detail": {}},
        {"awslogs": {"data": "not base64!"}},
        {"awslogs": {"data": "aGVsbG8="}},
        {"awslogs": None},
    ],
)
def test_malformed_events_raise_event_errors_not_key_errors(router, run, event):
    router.sqs()(lambda r: None)
    router.sns()(lambda r: None)
    router.s3()(lambda r: None)
    router.eventbridge()(lambda r: None)
    router.cloudwatch_logs()(lambda r: None)
    with pytest.raises(EventError):
        run(event)


def test_sqs_record_with_plain_body_and_no_route(router, run):
    with pytest.raises(BatchFailedError, match="No route for the SQS record"):
        run(sqs_event("plain", queue="orphans"))


def test_sns_delivery_raises_when_a_record_fails(router, run):
    def fail(record):
        raise RuntimeError("boom")

    router.s3(bucket="media")(fail)
    with pytest.raises(RuntimeError, match="boom"):
        run(s3_event(s3_record("media", "a"), s3_record("media", "b")))


# ----- through the real handler, with the autodiscovered test app's routes -------------


def test_real_handler_routes_every_kind(handler, calls):
    ctx = FakeContext()
    assert handler(sqs_event(json.dumps({"name": "a"}), queue="eventsapp-jobs"), ctx) == {
        "batchItemFailures": []
    }
    handler(sns_event("n", topic="eventsapp-topic"), ctx)
    handler(s3_event(bucket="eventsapp-bucket", key="incoming/x.csv"), ctx)
    assert handler(eventbridge_event("eventsapp.exchange", "MessageDelivered", {"i": 1}), ctx) == (
        "delivered"
    )
    assert handler(scheduled_event("eventsapp-sweep"), ctx) == "swept"
    assert handler(invoke_event("eventsapp-reindex", {"all": True}), ctx) == {
        "reindexed": {"all": True}
    }
    handler(dynamodb_event(dynamodb_record({"id": "9"}, table="eventsapp-orders")), ctx)
    handler(kinesis_event({"k": 1}, stream="eventsapp-clicks"), ctx)
    handler(cloudwatch_logs_event(["line"], log_group="/eventsapp/worker"), ctx)
    assert [route for route, _ in calls] == [
        "sqs",
        "sns",
        "s3",
        "eventbridge",
        "schedule",
        "invoke",
        "dynamodb",
        "kinesis",
        "logs",
    ]


def test_real_handler_reports_partial_failures(handler, calls):
    ok, bad = (
        sqs_record('{"name": "ok"}', queue="eventsapp-jobs"),
        sqs_record('{"op": "fail"}', queue="eventsapp-jobs"),
    )
    reply = handler({"Records": [ok, bad]}, FakeContext())
    assert reply == {"batchItemFailures": [{"itemIdentifier": bad["messageId"]}]}
    assert calls == [("sqs", "ok")]


def test_real_handler_rejects_unroutable_events(handler):
    with pytest.raises(NoRouteError):
        handler(invoke_event("not-registered"), FakeContext())
    with pytest.raises(UnroutableEventError, match="firehose"):
        handler({"deliveryStreamArn": "arn", "records": [], "invocationId": "x"}, FakeContext())


def test_websocket_events_reach_their_routes_through_the_real_handler(handler, calls):
    from django_lambda_bridge.testing import websocket_event

    refused = handler(websocket_event("$connect"), FakeContext())
    accepted = handler(websocket_event("$connect", query={"token": "let-me-in"}), FakeContext())
    assert (refused, accepted) == ({"statusCode": 401}, {"statusCode": 200})
    reply = handler(websocket_event("sendmessage", {"action": "sendmessage"}), FakeContext())
    assert reply == {"statusCode": 200, "body": "got it"}
    assert [name for name, _ in calls] == ["ws-connect", "ws-connect", "ws-message"]


def test_a_tumbling_window_keeps_its_state_through_the_real_handler(handler, calls):
    from django_lambda_bridge.testing import kinesis_event, kinesis_window_event

    event = kinesis_window_event("a", "b", "c", stream="eventsapp-clicks", state={"clicks": 4})
    assert handler(event, FakeContext()) == {"state": {"clicks": 7}, "batchItemFailures": []}
    # The same stream's per-record route still serves batches outside a window.
    plain = kinesis_event({"name": "n"}, stream="eventsapp-clicks")
    assert handler(plain, FakeContext()) == {"batchItemFailures": []}
    assert calls == [("kinesis-window", 7), ("kinesis", "n")]
