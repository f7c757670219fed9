"""Property tests over the record paths: whatever the records hold, every record is
either run or reported failed (never lost, never both), and only our documented
errors escape."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import BatchFailedError, EventError, MalformedEventError
from django_lambda_bridge.events.dispatch import dispatch_event
from django_lambda_bridge.events.routes import Router
from django_lambda_bridge.kinds import Kind
from django_lambda_bridge.testing import (
    dynamodb_record,
    kinesis_record,
    s3_record,
    sns_record,
    sqs_record,
)

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
DELETE = object()


def mutations(paths: list[str]) -> st.SearchStrategy[list[tuple[int, str, Any]]]:
    """(record index, dotted path, new value or DELETE) edits."""
    return st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(paths), json_values | st.just(DELETE)),
        max_size=4,
    )


def apply(records: list[dict[str, Any]], edits: list[tuple[int, str, Any]]) -> None:
    for index, path, value in edits:
        target: Any = records[index % len(records)]
        *parents, leaf = path.split(".")
        for key in parents:
            if not isinstance(target, dict):
                break
            target = target.get(key)
        if not isinstance(target, dict):
            continue
        if value is DELETE:
            target.pop(leaf, None)
        else:
            target[leaf] = value


def outcome(kind: Kind, records: list[dict[str, Any]], router: Router) -> Any:
    try:
        return dispatch_event({"Records": records}, None, kind, BridgeSettings(), router)
    except EventError as error:
        return error


def check_batch(records, ran, result, ident) -> None:
    ids = [ident(r) for r in records]
    if isinstance(result, MalformedEventError) and "no identifier" in str(result):
        assert any(not isinstance(i, str) for i in ids)  # refused whole: nothing ran
        assert ran == []
        return
    if isinstance(result, BatchFailedError):
        assert ran == []
        return
    assert isinstance(result, dict), result
    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    assert set(failed) <= set(ids)
    assert not set(failed) & set(ran)
    assert set(failed) | set(ran) == set(ids)


@FUZZ
@given(
    fifo=st.booleans(),
    count=st.integers(1, 5),
    edits=mutations(
        [
            "attributes",
            "attributes.MessageGroupId",
            "attributes.ApproximateReceiveCount",
            "body",
            "eventSourceARN",
            "messageAttributes",
            "messageId",
            "receiptHandle",
        ]
    ),
)
def test_sqs_records(fifo, count, edits):
    router, ran = Router(), []
    queue = "q.fifo" if fifo else "q"
    router.sqs(queue=queue)(lambda record: ran.append(record["messageId"]))
    records = [
        sqs_record(f"m{i}", queue=queue, group_id=f"g{i % 2}" if fifo else None)
        for i in range(count)
    ]
    apply(records, edits)
    check_batch(records, ran, outcome(Kind.SQS, records, router), lambda r: r.get("messageId"))


@FUZZ
@given(
    count=st.integers(1, 5),
    edits=mutations(["kinesis", "kinesis.data", "kinesis.sequenceNumber", "eventSourceARN"]),
)
def test_kinesis_records(count, edits):
    router, ran = Router(), []
    router.kinesis(stream="clicks")(lambda r: ran.append(r["kinesis"]["sequenceNumber"]))
    records = [kinesis_record(f"d{i}", stream="clicks") for i in range(count)]
    apply(records, edits)
    result = outcome(Kind.KINESIS, records, router)

    def ident(record):
        inner = record.get("kinesis")
        return inner.get("sequenceNumber") if isinstance(inner, dict) else None

    check_batch(records, ran, result, ident)
    if isinstance(result, dict) and result["batchItemFailures"]:
        # A stream stops at its first failure: nothing after it ran.
        first = min(i for i, r in enumerate(records) if ident(r) in
                    {f["itemIdentifier"] for f in result["batchItemFailures"]})  # fmt: skip
        assert all(ident(r) not in ran for r in records[first:])


@FUZZ
@given(
    count=st.integers(1, 4),
    edits=mutations(["dynamodb", "dynamodb.SequenceNumber", "dynamodb.Keys", "eventSourceARN"]),
)
def test_dynamodb_records(count, edits):
    router, ran = Router(), []
    router.dynamodb(table="orders")(lambda r: ran.append(r["dynamodb"]["SequenceNumber"]))
    records = [dynamodb_record({"id": str(i)}, table="orders") for i in range(count)]
    apply(records, edits)

    def ident(record):
        inner = record.get("dynamodb")
        return inner.get("SequenceNumber") if isinstance(inner, dict) else None

    check_batch(records, ran, outcome(Kind.DYNAMODB, records, router), ident)


@FUZZ
@given(
    kind=st.sampled_from([Kind.SNS, Kind.S3]),
    count=st.integers(1, 3),
    edits=mutations(
        [
            "Sns",
            "Sns.TopicArn",
            "Sns.Message",
            "s3",
            "s3.bucket",
            "s3.object",
            "s3.bucket.name",
            "s3.object.key",
        ]
    ),
)
def test_sns_and_s3_deliveries_run_or_raise_our_errors(kind, count, edits):
    router, ran = Router(), []
    router.sns()(ran.append)
    router.s3()(ran.append)
    make = sns_record if kind is Kind.SNS else s3_record
    records = [make() for _ in range(count)]
    apply(records, edits)
    result = outcome(kind, records, router)
    # A delivery is all or nothing: Lambda retries it whole if anything raised.
    assert result is None or isinstance(result, EventError), result
    if result is None:
        assert len(ran) == count
