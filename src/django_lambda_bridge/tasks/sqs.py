"""The AWS calls tasks make: send, delay, retry later, dead-letter, schedule.

boto3 is imported on the first call, not at import: a function that only
serves HTTP and never enqueues pays nothing for it on cold start. Clients and
looked-up queue facts are kept for the life of the execution environment.
"""

from __future__ import annotations

import functools
import json
import threading
from datetime import datetime
from typing import Any

#: SQS's longest DelaySeconds.
MAX_DELAY_SECONDS = 900

_lock = threading.Lock()


@functools.cache
def client(service: str) -> Any:
    """A boto3 client; region, endpoint and credentials come from the environment."""
    with _lock:  # boto3's default session is not safe to create clients from concurrently
        import boto3  # type: ignore[import-untyped, unused-ignore]

        return boto3.client(service)


def reset_clients() -> None:
    """Forget clients and cached queue facts (tests that move AWS_ENDPOINT_URL)."""
    client.cache_clear()
    queue_url_for_arn.cache_clear()
    dead_letter_url.cache_clear()
    queue_arn.cache_clear()


def send(queue_url: str, body: str, delay_seconds: int = 0, **extra: Any) -> str:
    reply = client("sqs").send_message(
        QueueUrl=queue_url, MessageBody=body, DelaySeconds=delay_seconds, **extra
    )
    return str(reply["MessageId"])


@functools.cache
def queue_url_for_arn(arn: str) -> str:
    """``arn:aws:sqs:region:account:name`` → the queue URL the API wants."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise ValueError(f"{arn!r} is not an SQS queue ARN")
    reply = client("sqs").get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])
    return str(reply["QueueUrl"])


@functools.cache
def queue_arn(queue_url: str) -> str:
    reply = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return str(reply["Attributes"]["QueueArn"])


@functools.cache
def dead_letter_url(queue_url: str) -> str | None:
    """The dead-letter queue of ``queue_url``'s redrive policy, or ``None`` if it has none."""
    reply = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    policy = reply.get("Attributes", {}).get("RedrivePolicy")
    if not policy:
        return None
    target = json.loads(policy).get("deadLetterTargetArn")
    return queue_url_for_arn(target) if target else None


def retry_later(queue_url: str, receipt_handle: str, seconds: int) -> None:
    """Hide a failed message for ``seconds``: Lambda then delivers it again, a backoff.

    The message itself stays in the queue the whole time, so a function that
    dies before reporting keeps it too; the queue's redrive policy still counts
    each receive.
    """
    client("sqs").change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
    )


def schedule_once(
    *, name: str, group: str, at: datetime, queue_url: str, role_arn: str, body: str
) -> None:
    """An EventBridge Scheduler one-shot schedule that puts ``body`` on the queue at ``at``.

    It deletes itself after it fires. Scheduler's precision is a minute; the
    worker holds back a task that arrives early.
    """
    client("scheduler").create_schedule(
        Name=name,
        GroupName=group,
        ScheduleExpression=f"at({at.strftime('%Y-%m-%dT%H:%M:%S')})",
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": queue_arn(queue_url), "RoleArn": role_arn, "Input": body},
    )
