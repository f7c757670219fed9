"""Factories for non-HTTP Lambda events, written from the shapes AWS documents.

Each returns a plain dict as Lambda delivers it. Record factories
(``sqs_record``...) build one record; event factories (``sqs_event``...) wrap
records, and accept plain bodies as a shortcut::

    sqs_event("a", "b", queue="callbacks")
    sqs_event(sqs_record("a", group_id="g1"), sqs_record("b", group_id="g1"), queue="q.fifo")

``sqs_event_from_messages`` turns messages received from a real queue (boto3
``receive_message``) into the event Lambda's event source mapping would send.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django_lambda_bridge.kinds import WARM_UP_MARKER

REGION = "us-east-1"
ACCOUNT = "123456789012"

_sequence = itertools.count(1)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int | None = None) -> str:
    ms = _now_ms() if ms is None else ms
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _iso_seconds() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _next_sequence(width: int) -> str:
    return str(next(_sequence)).rjust(width, "0")


# ----- SQS ---------------------------------------------------------------------


def sqs_queue_arn(queue: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return queue if queue.startswith("arn:") else _arn("sqs", queue, region, account)


def sqs_record(
    body: Any = "",
    *,
    queue: str = "callbacks",
    message_id: str | None = None,
    receive_count: int = 1,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_attributes: Mapping[str, str] | None = None,
    attributes: Mapping[str, str] | None = None,
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """One SQS record. ``group_id`` makes it a FIFO record (add ``.fifo`` to ``queue``).

    ``body`` that is not a str is JSON-encoded. ``message_attributes`` are
    String attributes.
    """
    text = _json(body)
    sent = _now_ms()
    attrs: dict[str, str] = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(sent),
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": str(sent + 5),
    }
    if group_id is not None:
        attrs["SequenceNumber"] = _next_sequence(20)
        attrs["MessageGroupId"] = group_id
        attrs["MessageDeduplicationId"] = (
            deduplication_id or hashlib.sha256(text.encode()).hexdigest()
        )
    attrs.update(attributes or {})
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": base64.b64encode(uuid.uuid4().bytes * 4).decode(),
        "body": text,
        "attributes": attrs,
        "messageAttributes": {
            name: {
                "stringValue": value,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
            for name, value in (message_attributes or {}).items()
        },
        "md5OfBody": hashlib.md5(text.encode()).hexdigest(),  # SQS sends the MD5 of the body
        "eventSource": "aws:sqs",
        "eventSourceARN": sqs_queue_arn(queue, region, account),
        "awsRegion": region,
    }


def sqs_event(*records_or_bodies: Any, **record_options: Any) -> dict[str, Any]:
    """An SQS batch. Dicts with ``messageId`` are records; anything else is a body."""
    records = [
        r if isinstance(r, dict) and "messageId" in r else sqs_record(r, **record_options)
        for r in records_or_bodies
    ]
    return {"Records": records}


def sqs_event_from_messages(
    messages: Iterable[Mapping[str, Any]], queue_arn: str, region: str = REGION
) -> dict[str, Any]:
    """The event Lambda sends for messages from ``receive_message`` (boto3 shape).

    Receive with ``AttributeNames=["All"]`` and ``MessageAttributeNames=["All"]``.
    """
    records = []
    for message in messages:
        attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": (
                    base64.b64encode(value["BinaryValue"]).decode()
                    if "BinaryValue" in value
                    else None
                ),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        }
        for value in attributes.values():
            for key in ("stringValue", "binaryValue"):
                if value[key] is None:
                    del value[key]
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": attributes,
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


# ----- SNS ---------------------------------------------------------------------


def sns_topic_arn(topic: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return topic if topic.startswith("arn:") else _arn("sns", topic, region, account)


def _sns_message(
    message: Any,
    topic: str,
    subject: str | None,
    message_attributes: Mapping[str, str] | None,
    region: str,
    account: str,
    url_suffix: str,
) -> dict[str, Any]:
    arn = sns_topic_arn(topic, region, account)
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": arn,
        "Subject": subject,
        "Message": _json(message),
        "Timestamp": _iso(),
        "SignatureVersion": "1",
        "Signature": base64.b64encode(b"EXAMPLE-SIGNATURE").decode(),
        f"SigningCert{url_suffix}": (
            f"https://sns.{region}.amazonaws.com/SimpleNotificationService-0000000000.pem"
        ),
        f"Unsubscribe{url_suffix}": (
            f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={arn}:"
            "c9135db0-26c4-47ec-8998-413945fb5a96"
        ),
        "MessageAttributes": {
            name: {"Type": "String", "Value": value}
            for name, value in (message_attributes or {}).items()
        },
    }


def sns_record(
    message: Any = "",
    *,
    topic: str = "notifications",
    subject: str | None = None,
    message_attributes: Mapping[str, str] | None = None,
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """One record of an SNS → Lambda event. A non-str ``message`` is JSON-encoded."""
    sns = _sns_message(message, topic, subject, message_attributes, region, account, "Url")
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{sns['TopicArn']}:c9135db0-26c4-47ec-8998-413945fb5a96",
        "EventSource": "aws:sns",
        "Sns": sns,
    }


def sns_event(*records_or_messages: Any, **record_options: Any) -> dict[str, Any]:
    records = [
        r if isinstance(r, dict) and "Sns" in r else sns_record(r, **record_options)
        for r in records_or_messages
    ]
    return {"Records": records}


def sns_envelope(
    message: Any = "",
    *,
    topic: str = "notifications",
    subject: str | None = None,
    message_attributes: Mapping[str, str] | None = None,
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """The JSON SNS puts in an SQS message body (not raw delivery)."""
    envelope = _sns_message(message, topic, subject, message_attributes, region, account, "URL")
    if subject is None:
        del envelope["Subject"]
    if not envelope["MessageAttributes"]:
        del envelope["MessageAttributes"]
    return envelope


def sns_sqs_record(
    message: Any = "",
    *,
    topic: str = "notifications",
    queue: str = "callbacks",
    subject: str | None = None,
    message_attributes: Mapping[str, str] | None = None,
    **sqs_options: Any,
) -> dict[str, Any]:
    """An SQS record carrying an SNS notification (SNS → SQS subscription)."""
    envelope = sns_envelope(
        message, topic=topic, subject=subject, message_attributes=message_attributes
    )
    return sqs_record(json.dumps(envelope), queue=queue, **sqs_options)


# ----- S3 ----------------------------------------------------------------------


def s3_record(
    bucket: str = "attachments",
    key: str = "incoming/file.txt",
    *,
    event_name: str = "ObjectCreated:Put",
    size: int = 1024,
    etag: str = "0123456789abcdef0123456789abcdef",
    version_id: str | None = None,
    region: str = REGION,
) -> dict[str, Any]:
    """One S3 notification record. ``key`` is URL-encoded as S3 does (spaces → ``+``)."""
    from urllib.parse import quote_plus

    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag,
        "sequencer": f"{_next_sequence(16)}",
    }
    if version_id is not None:
        obj["versionId"] = version_id
    if event_name.startswith("ObjectRemoved"):
        del obj["size"], obj["eTag"]
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": _iso(),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "notification",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def s3_event(*records: dict[str, Any], **record_options: Any) -> dict[str, Any]:
    """An S3 notification; with no records, one built from ``record_options``."""
    return {"Records": list(records) or [s3_record(**record_options)]}


def s3_sqs_record(
    bucket: str = "attachments",
    key: str = "incoming/file.txt",
    *,
    queue: str = "uploads",
    event_name: str = "ObjectCreated:Put",
    **sqs_options: Any,
) -> dict[str, Any]:
    """An SQS record carrying an S3 notification (S3 → SQS)."""
    body = s3_event(s3_record(bucket, key, event_name=event_name))
    return sqs_record(json.dumps(body), queue=queue, **sqs_options)


def s3_test_event(bucket: str = "attachments") -> dict[str, Any]:
    """The message S3 sends a queue when its notification is first configured."""
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": _iso(),
        "Bucket": bucket,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }


# ----- EventBridge and schedules ---------------------------------------------------


def eventbridge_event(
    source: str = "flux.exchange",
    detail_type: str = "MessageDelivered",
    detail: Mapping[str, Any] | None = None,
    *,
    resources: Iterable[str] = (),
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """An EventBridge event, as a rule delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": _iso_seconds(),
        "region": region,
        "resources": list(resources),
        "detail": dict(detail or {}),
    }


def scheduled_event(
    rule: str = "sweep-stuck-callbacks",
    *,
    bus: str | None = None,
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """What an EventBridge schedule rule (``rate(...)``/``cron(...)``) sends."""
    path = f"rule/{bus}/{rule}" if bus and bus != "default" else f"rule/{rule}"
    return eventbridge_event(
        "aws.events",
        "Scheduled Event",
        {},
        resources=[_arn("events", path, region, account)],
        region=region,
        account=account,
    )


def scheduler_event(
    schedule: str = "sweep-stuck-callbacks",
    *,
    group: str = "default",
    attempt: int = 1,
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """An EventBridge Scheduler invocation with the Input docs/events.md recommends.

    Scheduler sends only the Input it is configured with; this is that Input
    with its ``<aws.scheduler.*>`` placeholders filled in.
    """
    arn = _arn("scheduler", f"schedule/{group}/{schedule}", region, account)
    return {
        "version": "0",
        "id": uuid.uuid4().hex[:16],
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": account,
        "time": _iso_seconds(),
        "region": region,
        "resources": [arn],
        "detail": {"attempt": str(attempt)},
    }


# ----- streams -------------------------------------------------------------------


def _typed(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {"M": {k: _typed(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_typed(v) for v in value]}
    return {"S": str(value)}


def dynamodb_record(
    keys: Mapping[str, Any] | None = None,
    *,
    new_image: Mapping[str, Any] | None = None,
    old_image: Mapping[str, Any] | None = None,
    event_name: str = "INSERT",
    table: str = "orders",
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """One DynamoDB stream record; values are plain Python, typed for you."""
    keys = dict(keys or {"id": "1"})
    stream: dict[str, Any] = {
        "ApproximateCreationDateTime": int(time.time()),
        "Keys": {k: _typed(v) for k, v in keys.items()},
        "SequenceNumber": _next_sequence(21),
        "SizeBytes": 26,
    }
    if new_image is not None:
        stream["NewImage"] = {k: _typed(v) for k, v in new_image.items()}
    if old_image is not None:
        stream["OldImage"] = {k: _typed(v) for k, v in old_image.items()}
    stream["StreamViewType"] = (
        "NEW_AND_OLD_IMAGES"
        if new_image is not None and old_image is not None
        else "NEW_IMAGE"
        if new_image is not None
        else "OLD_IMAGE"
        if old_image is not None
        else "KEYS_ONLY"
    )
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": stream,
        "eventSourceARN": _arn(
            "dynamodb", f"table/{table}/stream/2026-01-01T00:00:00.000", region, account
        ),
    }


def dynamodb_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records) or [dynamodb_record()]}


def kinesis_record(
    data: Any = b"",
    *,
    stream: str = "clicks",
    partition_key: str = "partition-1",
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """One Kinesis record; ``data`` (bytes, str, or JSON-able) is base64-encoded."""
    raw = data if isinstance(data, bytes) else _json(data).encode()
    sequence = _next_sequence(56)
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence,
            "data": base64.b64encode(raw).decode(),
            "approximateArrivalTimestamp": round(time.time(), 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": _arn("iam", "role/lambda-role", "", account),
        "awsRegion": region,
        "eventSourceARN": _arn("kinesis", f"stream/{stream}", region, account),
    }


def kinesis_event(*records_or_data: Any, **record_options: Any) -> dict[str, Any]:
    records = [
        r if isinstance(r, dict) and "kinesis" in r else kinesis_record(r, **record_options)
        for r in records_or_data
    ]
    return {"Records": records}


def cloudwatch_logs_event(
    messages: Iterable[str] = ("log line",),
    *,
    log_group: str = "/aws/lambda/worker",
    log_stream: str = "2026/01/01/[$LATEST]0123456789abcdef",
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """A CloudWatch Logs subscription event: gzipped, base64-encoded JSON."""
    now = _now_ms()
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": account,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": ["to-lambda"],
        "logEvents": [
            {"id": str(next(_sequence)).rjust(56, "3"), "timestamp": now, "message": m}
            for m in messages
        ],
    }
    packed = base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()
    return {"awslogs": {"data": packed}}


def _window_event(
    records: list[dict[str, Any]],
    source_arn: str,
    state: Mapping[str, Any] | None,
    start: str | None,
    end: str | None,
    final: bool,
    terminated_early: bool,
    shard_id: str,
) -> dict[str, Any]:
    now = _now_ms()
    return {
        "Records": records,
        "window": {
            "start": start or _iso_seconds_at(now - 60_000),
            "end": end or _iso_seconds_at(now + 60_000),
        },
        "state": dict(state or {}),
        "shardId": shard_id,
        "eventSourceARN": source_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": terminated_early,
    }


def _iso_seconds_at(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def kinesis_window_event(
    *records_or_data: Any,
    stream: str = "clicks",
    state: Mapping[str, Any] | None = None,
    start: str | None = None,
    end: str | None = None,
    final: bool = False,
    terminated_early: bool = False,
    shard_id: str = "shardId-000000000006",
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """A Kinesis batch of a tumbling window (``TumblingWindowInSeconds``), with its ``state``.

    ``final=True`` is the window's last invocation, which may have no records.
    """
    records = kinesis_event(*records_or_data, stream=stream, region=region, account=account)
    arn = _arn("kinesis", f"stream/{stream}", region, account)
    return _window_event(
        records["Records"], arn, state, start, end, final, terminated_early, shard_id
    )


def dynamodb_window_event(
    *records: dict[str, Any],
    table: str = "orders",
    state: Mapping[str, Any] | None = None,
    start: str | None = None,
    end: str | None = None,
    final: bool = False,
    terminated_early: bool = False,
    shard_id: str = "shardId-00000001600000000000-00000000",
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """A DynamoDB stream batch of a tumbling window, with its ``state``."""
    arn = _arn("dynamodb", f"table/{table}/stream/2026-01-01T00:00:00.000", region, account)
    return _window_event(list(records), arn, state, start, end, final, terminated_early, shard_id)


# ----- API Gateway WebSocket APIs ---------------------------------------------------

_WEBSOCKET_EVENT_TYPES = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}


def websocket_event(
    route_key: str = "$default",
    body: Any = None,
    *,
    connection_id: str | None = None,
    api_id: str = "a1b2c3d4e5",
    stage: str = "prod",
    domain_name: str | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    source_ip: str = "203.0.113.10",
    region: str = REGION,
) -> dict[str, Any]:
    """An API Gateway WebSocket API event, for ``$connect``, ``$disconnect`` or a message.

    The event type follows the route key: ``$connect`` and ``$disconnect`` are
    the handshake and the close (with headers only on ``$connect``); any other
    key is a message, whose ``body`` (a non-str is JSON-encoded) is the frame.
    """
    now = _now_ms()
    event_type = _WEBSOCKET_EVENT_TYPES.get(route_key, "MESSAGE")
    request_id = base64.b64encode(uuid.uuid4().bytes[:10]).decode()
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": datetime.fromtimestamp(now / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": now - 1_000,
        "requestTimeEpoch": now,
        "identity": {"sourceIp": source_ip},
        "requestId": request_id,
        "domainName": domain_name or f"{api_id}.execute-api.{region}.amazonaws.com",
        "connectionId": connection_id
        or base64.b64encode(uuid.uuid4().bytes[:10]).decode().rstrip("="),
        "apiId": api_id,
    }
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "MESSAGE":
        context["messageId"] = base64.b64encode(uuid.uuid4().bytes[:10]).decode()
        event["body"] = _json(body if body is not None else "")
    elif event_type == "DISCONNECT":
        context["disconnectStatusCode"] = 1000
        context["disconnectReason"] = "Client-side close frame status not set"
    if event_type != "MESSAGE":
        host = context["domainName"]
        sent = {
            "Host": host,
            "X-Forwarded-For": source_ip,
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https",
        }
        if event_type == "CONNECT":
            sent |= {
                "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
                "Sec-WebSocket-Key": base64.b64encode(uuid.uuid4().bytes).decode(),
                "Sec-WebSocket-Version": "13",
                "X-Amzn-Trace-Id": f"Root=1-{now // 1000:08x}-{uuid.uuid4().hex[:24]}",
            }
        sent.update(headers or {})
        event["headers"] = sent
        event["multiValueHeaders"] = {k: [v] for k, v in sent.items()}
        if query:
            event["queryStringParameters"] = dict(query)
            event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


# ----- direct invocations ---------------------------------------------------------


def invoke_event(name: str, payload: Any = None) -> dict[str, Any]:
    """``{"invoke": name, "payload": payload}``, routed to ``@events.invoke(name)``."""
    event: dict[str, Any] = {"invoke": name}
    if payload is not None:
        event["payload"] = payload
    return event


def manage_event(*args: str) -> dict[str, Any]:
    """``{"manage": [...]}``: a management command by direct invocation."""
    return {"manage": list(args)}


def warm_up_event() -> dict[str, Any]:
    """The constant Input of a warm-up schedule rule."""
    return {WARM_UP_MARKER: True}


__all__ = [
    "cloudwatch_logs_event",
    "dynamodb_event",
    "dynamodb_record",
    "dynamodb_window_event",
    "eventbridge_event",
    "invoke_event",
    "kinesis_event",
    "kinesis_record",
    "kinesis_window_event",
    "manage_event",
    "s3_event",
    "s3_record",
    "s3_sqs_record",
    "s3_test_event",
    "scheduled_event",
    "scheduler_event",
    "sns_envelope",
    "sns_event",
    "sns_record",
    "sns_sqs_record",
    "sqs_event",
    "sqs_event_from_messages",
    "sqs_record",
    "warm_up_event",
    "websocket_event",
]
