"""Event factories match AWS's shapes (checked against the shared samples) and classify right."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from django_lambda_bridge.errors import UnknownEventError
from django_lambda_bridge.kinds import Kind, classify
from django_lambda_bridge.testing import (
    cloudwatch_logs_event,
    dynamodb_event,
    dynamodb_record,
    eventbridge_event,
    invoke_event,
    kinesis_event,
    manage_event,
    s3_event,
    s3_sqs_record,
    scheduled_event,
    scheduler_event,
    sns_envelope,
    sns_event,
    sns_sqs_record,
    sqs_event,
    sqs_record,
    warm_up_event,
)
from tests.http_support import SAMPLES_DIR as SAMPLES

# Hygiene checks the (test) database connections around every record.
pytestmark = pytest.mark.django_db

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} is missing")


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def shape(value):
    """Keys all the way down (lists by their first item), without values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def missing_keys(expected, actual, path="") -> list[str]:
    """Keys in the sample's shape that the factory's lacks."""
    gaps: list[str] = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, sub in expected.items():
            if key not in actual:
                gaps.append(f"{path}.{key}")
            else:
                gaps += missing_keys(sub, actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list) and expected and actual:
        gaps += missing_keys(expected[0], actual[0], f"{path}[0]")
    return gaps


@needs_samples
@pytest.mark.parametrize(
    ("name", "factory", "ignore"),
    [
        (
            "sqsEvent.json",
            lambda: sqs_event("x", message_attributes={"testAttr": "1"}),
            {".Records[0].messageAttributes.testAttr.binaryValue"},  # the sample is hand-made
        ),
        (
            "snsEvent.json",
            lambda: sns_event(
                "x", subject="s", message_attributes={"Test": "1", "TestBinary": "2"}
            ),
            set(),
        ),
        ("s3Event.json", lambda: s3_event(version_id="v1"), set()),
        ("s3EventDeleteObject.json", lambda: s3_event(event_name="ObjectRemoved:Delete"), set()),
        (
            "eventBridgeEvent.json",
            lambda: eventbridge_event("aws.ec2", "x", {"instance_id": "i", "state": "s"}),
            {".replay-name"},
        ),
        (
            "dynamoStreamEvent.json",
            lambda: dynamodb_event(dynamodb_record({"Id": 1}, new_image={"Message": "m", "Id": 1})),
            set(),
        ),
        ("kinesisStreamEvent.json", lambda: kinesis_event("x"), set()),
        ("cloudWatchLogEvent.json", lambda: cloudwatch_logs_event(), set()),
        ("s3SqsEvent.json", lambda: sqs_event(s3_sqs_record()), set()),
        ("snsSqsEvent.json", lambda: sqs_event(sns_sqs_record("m")), set()),
        ("snsSqsFifoEvent.json", lambda: sqs_event(sns_sqs_record("m", group_id="g")), set()),
    ],
)
def test_factories_have_every_key_aws_sends(name, factory, ignore):
    expected, built = sample(name), factory()
    assert classify(built) == classify(expected)
    gaps = [g for g in missing_keys(shape(expected), shape(built)) if g not in ignore]
    assert gaps == []


@needs_samples
@pytest.mark.parametrize(("name", "field"), [("snsSqsEvent.json", None), ("s3SqsEvent.json", None)])
def test_envelope_bodies_match_the_samples(name, field):
    expected = json.loads(sample(name)["Records"][0]["body"])
    built = sns_envelope("m") if "sns" in name else json.loads(s3_sqs_record()["body"])
    gaps = missing_keys(shape(expected), shape(built))
    assert [g for g in gaps if not g.endswith(".versionId")] == []  # only on versioned buckets


@needs_samples
def test_every_sample_is_classified_without_error():
    kinds = {p.name: classify(json.loads(p.read_text())) for p in SAMPLES.glob("*.json")}
    assert kinds["sqsEvent.json"] is Kind.SQS
    assert kinds["snsSqsEvent.json"] is Kind.SQS  # envelopes are classified by the outside
    assert kinds["s3SqsEvent.json"] is Kind.SQS
    assert kinds["snsEvent.json"] is Kind.SNS
    assert kinds["s3Event.json"] is Kind.S3
    assert kinds["s3EventBridgeNotificationObjectCreatedEvent.json"] is Kind.EVENTBRIDGE
    assert kinds["eventBridgeEvent.json"] is Kind.EVENTBRIDGE
    assert kinds["dynamoStreamEvent.json"] is Kind.DYNAMODB
    assert kinds["kinesisStreamEvent.json"] is Kind.KINESIS
    assert kinds["cloudWatchLogEvent.json"] is Kind.CLOUDWATCH_LOGS


@needs_samples
@pytest.mark.parametrize(
    "name",
    [
        "sqsEvent.json",
        "sqsDlqTriggerEvent.json",
        "snsSqsEvent.json",
        "snsSqsFifoEvent.json",
        "s3SqsEvent.json",
        "snsEvent.json",
        "s3Event.json",
        "s3EventDecodedKey.json",
        "s3EventGlacier.json",
        "eventBridgeEvent.json",
        "s3EventBridgeNotificationObjectCreatedEvent.json",
        "dynamoStreamEvent.json",
        "kinesisStreamEvent.json",
        "cloudWatchLogEvent.json",
    ],
)
def test_samples_reach_a_catch_all_route(router, run, name):
    seen = []
    for declare in (router.sqs, router.sns, router.s3, router.eventbridge, router.dynamodb,
                    router.kinesis, router.cloudwatch_logs):  # fmt: skip
        declare()(seen.append)
    reply = run(sample(name))
    assert seen
    if isinstance(reply, dict):
        assert reply == {"batchItemFailures": []}


def test_factory_records_read_through_powertools():
    record = SQSRecord(sqs_record("b", queue="q.fifo", group_id="g", receive_count=3))
    assert record.attributes.message_group_id == "g"
    assert record.attributes.approximate_receive_count == "3"
    assert record.attributes.sequence_number
    assert record.queue_url.endswith("/q.fifo")


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (sqs_event("x"), Kind.SQS),
        (sns_event("x"), Kind.SNS),
        (s3_event(), Kind.S3),
        (eventbridge_event(), Kind.EVENTBRIDGE),
        (scheduled_event(), Kind.SCHEDULE),
        (scheduler_event(), Kind.SCHEDULE),
        (dynamodb_event(), Kind.DYNAMODB),
        (kinesis_event("x"), Kind.KINESIS),
        (cloudwatch_logs_event(), Kind.CLOUDWATCH_LOGS),
        (invoke_event("x"), Kind.INVOKE),
        (manage_event("check"), Kind.MANAGE),
        (warm_up_event(), Kind.WARM_UP),
    ],
)
def test_factories_classify(event, kind):
    assert classify(event) is kind


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"Records": [{"eventSource": "aws:ses"}]}, "'aws:ses' records.*not supported"),
        ({"hello": 1}, "top-level keys: hello"),
        ([1, 2], "a list, not a JSON object"),
        ({"Records": []}, "top-level keys: Records"),
        ({"source": "x", "detail-type": "Scheduled Event"}, "detail-type, source"),
    ],
)
def test_unknown_shapes_name_what_they_saw(event, message):
    with pytest.raises(UnknownEventError, match=message):
        classify(event)
