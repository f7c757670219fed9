"""Real messages from real (moto) AWS services, through real boto3 and the real handler."""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote_plus

import pytest

from django_lambda_bridge.testing import FakeContext
from django_lambda_bridge.testing.aws import SqsEventSource

# Hygiene checks the (test) database connections around every record.
pytestmark = pytest.mark.django_db

pytest.importorskip("moto.server")


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sqs(moto_server):
    return moto_server.client("sqs")


def queue_arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def make_queue(sqs, queue_name: str, **attributes: str) -> str:
    return sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]


@pytest.fixture
def jobs_with_dlq(sqs):
    """The queue the test app's ``@events.sqs(queue="eventsapp-jobs")`` serves, with a DLQ.

    Routes match queue names in any account or region, so the moto queue is it.
    """
    dlq = make_queue(sqs, name("eventsapp-jobs-dlq"))
    policy = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": "2"})
    url = make_queue(sqs, "eventsapp-jobs", RedrivePolicy=policy, VisibilityTimeout="30")
    yield url, dlq
    sqs.delete_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=dlq)


def drain(source: SqsEventSource, polls: int = 10) -> list:
    return [source.poll() for _ in range(polls)]


def test_failed_message_reaches_the_dlq_after_max_receive_count(handler, sqs, jobs_with_dlq, calls):
    url, dlq = jobs_with_dlq
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"name": "good"}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"op": "fail", "name": "bad"}))
    source = SqsEventSource(sqs, url, handler)
    deliveries = drain(source)

    assert calls == [("sqs", "good")]  # the good one ran once, never retried
    first = deliveries[0]
    assert len(first.received) == 2
    assert len(first.deleted) == 1
    assert len(first.returned) == 1
    assert first.reply["batchItemFailures"] == [{"itemIdentifier": first.returned[0]}]
    # Received twice (maxReceiveCount=2), then moved to the DLQ on the next receive.
    assert sum(first.returned[0] in d.received for d in deliveries) == 2
    dead = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"])["name"] for m in dead] == ["bad"]
    main = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert main["ApproximateNumberOfMessages"] == "0"


def test_a_batch_of_only_failures_is_raised_and_retried_whole(handler, sqs, jobs_with_dlq, calls):
    url, dlq = jobs_with_dlq
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"op": "fail"}))
    source = SqsEventSource(sqs, url, handler)
    first = source.poll()
    assert first.error is not None
    assert first.returned == first.received
    drain(source)
    assert len(sqs.receive_message(QueueUrl=dlq)["Messages"]) == 1


def test_fifo_queue_group_order(handler, sqs, calls):
    url = make_queue(sqs, "eventsapp-fifo.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    try:
        for body, group in [("a1", "A"), ("fail-a2", "A"), ("a3", "A"), ("b1", "B")]:
            op = "fail" if body.startswith("fail") else "ok"
            sqs.send_message(
                QueueUrl=url,
                MessageBody=json.dumps({"op": op, "name": body}),
                MessageGroupId=group,
            )
        delivery = SqsEventSource(sqs, url, handler).poll()
        ran = [value for _, value in calls]
        assert "a3" not in ran  # never out of order behind the failed a2
        assert "a1" in ran
        assert len(delivery.returned) == 2  # fail-a2 and a3
        assert delivery.reply["batchItemFailures"]
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_sns_to_sqs_reaches_the_sns_route(moto_server, handler, sqs, calls):
    sns = moto_server.client("sns")
    topic = sns.create_topic(Name="eventsapp-topic")["TopicArn"]
    url = make_queue(sqs, name("eventsapp-sns-inbox"))  # no @events.sqs route for it
    try:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, url))
        sns.publish(TopicArn=topic, Message="hello from sns", Subject="greeting")
        delivery = SqsEventSource(sqs, url, handler).poll()
        assert delivery.error is None
        assert delivery.returned == []
        assert calls == [("sns", "hello from sns")]
    finally:
        sqs.delete_queue(QueueUrl=url)
        sns.delete_topic(TopicArn=topic)


def test_s3_notification_to_sqs_reaches_the_s3_route(moto_server, handler, sqs, calls):
    s3 = moto_server.client("s3")
    url = make_queue(sqs, name("eventsapp-uploads"))
    s3.create_bucket(Bucket="eventsapp-bucket")
    try:
        s3.put_bucket_notification_configuration(
            Bucket="eventsapp-bucket",
            NotificationConfiguration={
                "QueueConfigurations": [
                    {"QueueArn": queue_arn(sqs, url), "Events": ["s3:ObjectCreated:*"]}
                ]
            },
        )
        s3.put_object(Bucket="eventsapp-bucket", Key="incoming/report 1.csv", Body=b"a,b\n")
        deliveries = drain(SqsEventSource(sqs, url, handler), polls=3)
        assert all(d.error is None and d.returned == [] for d in deliveries)
        # The key arrives URL-encoded, as S3 sends it; the route matched the decoded prefix.
        assert [(route, unquote_plus(key)) for route, key in calls] == [
            ("s3", "incoming/report 1.csv")
        ]
    finally:
        sqs.delete_queue(QueueUrl=url)
        for obj in s3.list_objects_v2(Bucket="eventsapp-bucket").get("Contents", []):
            s3.delete_object(Bucket="eventsapp-bucket", Key=obj["Key"])
        s3.delete_bucket(Bucket="eventsapp-bucket")


def test_eventbridge_rule_to_sqs_reaches_the_eventbridge_route(moto_server, handler, sqs, calls):
    events = moto_server.client("events")
    url = make_queue(sqs, name("eventsapp-bus-target"))
    rule = name("eventsapp-delivered")
    try:
        events.put_rule(
            Name=rule,
            EventPattern=json.dumps(
                {"source": ["eventsapp.exchange"], "detail-type": ["MessageDelivered"]}
            ),
        )
        events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn(sqs, url)}])
        events.put_events(
            Entries=[
                {
                    "Source": "eventsapp.exchange",
                    "DetailType": "MessageDelivered",
                    "Detail": json.dumps({"message": 42}),
                }
            ]
        )
        delivery = SqsEventSource(sqs, url, handler).poll()
        assert delivery.error is None
        assert delivery.returned == []
        assert calls == [("eventbridge", {"message": 42})]
    finally:
        events.remove_targets(Rule=rule, Ids=["q"])
        events.delete_rule(Name=rule)
        sqs.delete_queue(QueueUrl=url)


class TickingContext(FakeContext):
    """6 s at the start, and every look at the clock costs 50 ms: records take time."""

    def __init__(self) -> None:
        super().__init__(timeout_ms=6_000)

    def get_remaining_time_in_millis(self) -> int:
        self._deadline -= 0.05
        return super().get_remaining_time_in_millis()


def test_short_timeout_does_not_dead_letter_messages_that_never_ran(handler, sqs, calls):
    """Issue 7, item 1: a 6 s timeout with the default 10 s margin, maxReceiveCount=3.

    Before the fix each poll ran one record and reported nine failed without trying
    them; after three receives the untried messages went to the DLQ.
    """
    dlq = make_queue(sqs, name("eventsapp-jobs-dlq"))
    policy = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": "3"})
    url = make_queue(sqs, "eventsapp-jobs", RedrivePolicy=policy, VisibilityTimeout="30")
    try:
        for i in range(10):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"name": f"m{i}"}))
        source = SqsEventSource(sqs, url, handler, context_factory=TickingContext)
        deliveries = drain(source, polls=6)

        assert all(d.error is None for d in deliveries)
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
        assert [json.loads(m["Body"])["name"] for m in dead] == []
        assert sorted(value for _, value in calls) == [f"m{i}" for i in range(10)]
        main = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert main["ApproximateNumberOfMessages"] == "0"
        assert main["ApproximateNumberOfMessagesNotVisible"] == "0"
    finally:
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq)


def test_the_control_a_margin_covering_the_timeout_still_dead_letters(sqs, calls):
    """The mechanism behind the fix, kept visible: a margin as long as the timeout
    (DEADLINE_MARGIN_FRACTION=1, which W011 warns about) runs one record per receive,
    and after maxReceiveCount receives the untried rest is in the DLQ."""
    from django_lambda_bridge.conf import BridgeSettings
    from django_lambda_bridge.handler import LambdaHandler

    handler = LambdaHandler(BridgeSettings(DEADLINE_MARGIN_FRACTION=1.0))
    dlq = make_queue(sqs, name("eventsapp-jobs-dlq"))
    policy = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": "3"})
    url = make_queue(sqs, "eventsapp-jobs", RedrivePolicy=policy, VisibilityTimeout="30")
    try:
        for i in range(10):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"name": f"m{i}"}))
        source = SqsEventSource(sqs, url, handler, context_factory=TickingContext)
        drain(source, polls=6)
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
        ran = {value for _, value in calls}
        assert len(ran) == 3  # one per receive
        assert len(dead) == 7
        assert not ran & {json.loads(m["Body"])["name"] for m in dead}  # never tried
    finally:
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq)
