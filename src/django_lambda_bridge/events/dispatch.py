"""Run a non-HTTP event through the router: find each record's route, run it
(in ``atomic`` if asked) inside database hygiene, once per event or batch, and
report batch failures.

Envelopes are unwrapped outside in, and the outermost layer that has a route
wins: an SQS record goes to its queue's ``@events.sqs`` route if there is one;
otherwise its body is opened, and an SNS notification, S3 notification or
EventBridge event inside is routed as if it had come directly (recursively,
so S3 → SNS → SQS reaches ``@events.s3``). So the same handler serves a source
whether or not a queue sits in front of it.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import logging
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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
from django.db import transaction

from django_lambda_bridge import db
from django_lambda_bridge.conf import BridgeSettings, get_settings
from django_lambda_bridge.errors import (
    BatchFailedError,
    MalformedEventError,
    NoRouteError,
    UnroutableEventError,
    describe_keys,
)
from django_lambda_bridge.events import whole_batch
from django_lambda_bridge.events.batch import Deadline, process_batch
from django_lambda_bridge.events.routes import (
    WINDOW_DECORATORS,
    Route,
    Router,
    no_route_message,
)
from django_lambda_bridge.events.websocket import WebSocketEvent, websocket_reply
from django_lambda_bridge.events.windows import TumblingWindow, is_tumbling_window, window_reply
from django_lambda_bridge.kinds import Kind
from django_lambda_bridge.observability import access
from django_lambda_bridge.tasks.envelope import is_task_body

logger = logging.getLogger("django_lambda_bridge.events")

#: Batch kinds and the key that identifies a record in ``batchItemFailures``.
BATCH_KINDS: dict[Kind, Callable[[Mapping[str, Any]], Any]] = {
    Kind.SQS: lambda r: r.get("messageId"),
    Kind.KINESIS: lambda r: _mapping(r.get("kinesis")).get("sequenceNumber"),
    Kind.DYNAMODB: lambda r: _mapping(r.get("dynamodb")).get("SequenceNumber"),
}


@dataclass(frozen=True)
class Call:
    """One route to run with one argument (a Powertools data class or a payload)."""

    route: Route
    arg: Any


def dispatch_event(
    event: Mapping[str, Any],
    context: Any,
    kind: Kind,
    conf: BridgeSettings | None = None,
    router: Router | None = None,
) -> Any:
    """Handle one non-HTTP event of a known kind; return what Lambda should get back.

    Batches (SQS, Kinesis, DynamoDB) return ``{"batchItemFailures": [...]}``;
    tumbling-window batches add the new ``state``. Invocations, EventBridge
    events, schedules and CloudWatch Logs return the handler's return value;
    WebSocket events the reply API Gateway expects (``statusCode``...). SNS
    and S3 deliveries return ``None``. A failure raises, so Lambda retries or
    dead-letters the event; nothing is dropped.
    """
    if router is None:
        from django_lambda_bridge.events import router as default_router

        router = default_router
    return _Dispatcher(router, conf or get_settings(), context).dispatch(event, kind)


class _Dispatcher:
    def __init__(self, router: Router, conf: BridgeSettings, context: Any) -> None:
        self.router = router
        self.conf = conf
        self.context = context

    def dispatch(self, event: Mapping[str, Any], kind: Kind) -> Any:
        if kind in (Kind.KINESIS, Kind.DYNAMODB) and is_tumbling_window(event):
            return self.window(event, kind)
        if kind in BATCH_KINDS:
            return self.batch(event, kind)
        if kind in (Kind.SNS, Kind.S3):
            records = _records(event, kind)
            with db.hygiene():  # once for the delivery, not per record
                for record in records:
                    if kind is Kind.SNS:
                        self.call_all(self.resolve_sns(SNSEventRecord(record)))
                    else:
                        self.call_all(self.resolve_s3(S3EventRecord(record)))
            return None
        if kind in (Kind.EVENTBRIDGE, Kind.SCHEDULE):
            return _single(self.run(self.resolve_eventbridge(event)))
        if kind is Kind.CLOUDWATCH_LOGS:
            return _single(self.run(self.resolve_cloudwatch_logs(event)))
        if kind is Kind.INVOKE:
            return _single(self.run(self.resolve_invoke(event)))
        if kind is Kind.WEBSOCKET:
            return websocket_reply(_single(self.run(self.resolve_websocket(event))))
        if kind in (Kind.WARM_UP, Kind.MANAGE):
            raise UnroutableEventError(
                f"{kind.value} invocations are handled by django_lambda_bridge.ops, not by "
                "event routes; use the handler made by make_handler()."
            )
        raise UnroutableEventError(
            f"{kind.value} events ({describe_keys(event)}) cannot be routed to @events "
            "handlers; nothing ran. Point this event source at a function of its own."
        )

    # ----- running ------------------------------------------------------------

    def run(self, calls: list[Call]) -> list[Any]:
        """One whole single event, with database hygiene."""
        with db.hygiene():
            return self.call_all(calls)

    def call_all(self, calls: list[Call]) -> list[Any]:
        return [self.call(c) for c in calls]

    def call(self, call: Call) -> Any:
        if not (self.conf.ACCESS_LOG and access.enabled()):
            return self._call(call)
        started = time.perf_counter()
        outcome = "ok"
        try:
            return self._call(call)
        except BaseException as exc:
            outcome = f"failed: {type(exc).__name__}"
            raise
        finally:
            access.event_line(
                source=call.route.kind.value,
                handler=call.route.name,
                outcome=outcome,
                duration_ms=(time.perf_counter() - started) * 1000,
            )

    def _call(self, call: Call) -> Any:
        route = call.route
        kwargs = {"lambda_context": self.context} if route.wants_context else {}
        atomic = self.conf.ATOMIC_RECORDS if route.atomic is None else route.atomic
        if atomic:
            with transaction.atomic(using=route.using):
                return route.func(call.arg, **kwargs)
        return route.func(call.arg, **kwargs)

    def batch(self, event: Mapping[str, Any], kind: Kind) -> dict[str, Any]:
        records = _records(event, kind)
        ident = BATCH_KINDS[kind]
        for i, record in enumerate(records):
            if not isinstance(ident(record), str):
                raise MalformedEventError(
                    f"Record {i} of the {kind.value} batch has no identifier "
                    f"({'messageId' if kind is Kind.SQS else 'sequence number'}), so its "
                    "failure could not be reported; the whole batch is refused."
                )
        resolve: Callable[[Any], list[Call]]
        if kind is Kind.SQS:
            resolve = self.resolve_sqs
        elif kind is Kind.KINESIS:
            resolve = self.resolve_kinesis
        else:
            resolve = self.resolve_dynamodb
        fifo = kind is Kind.SQS and any(
            str(r.get("eventSourceARN", "")).endswith(".fifo")
            or "MessageGroupId" in _mapping(r.get("attributes"))
            for r in records
        )
        conf = self.conf
        deadline = Deadline(self.context, conf.DEADLINE_MARGIN_MS, conf.DEADLINE_MARGIN_FRACTION)

        def handle(record: Any) -> list[Any]:
            with db.reset_on_failure():  # hygiene itself runs once, around the batch
                return self.call_all(resolve(record))

        groups, rest = whole_batch.split(self.router, records) if kind is Kind.SQS else ([], [])
        if not groups:
            with db.hygiene():
                return process_batch(kind, records, handle, deadline, ident, fifo=fifo)
        with db.hygiene():
            failed: set[str] = set()
            for route, group in groups:
                failed.update(whole_batch.run(route, group, lambda r, arg: self.call(Call(r, arg))))
            if rest:
                try:
                    reply = process_batch(kind, rest, handle, deadline, ident, fifo=fifo)
                    failed.update(f["itemIdentifier"] for f in reply["batchItemFailures"])
                except BatchFailedError:
                    failed.update(ident(r) for r in rest)
        if len(failed) == len(records):
            raise BatchFailedError(
                f"All {len(records)} sqs records failed; raising so Lambda retries the whole "
                "batch (see the log above for each failure)."
            )
        return {
            "batchItemFailures": [
                {"itemIdentifier": ident(r)} for r in records if ident(r) in failed
            ]
        }

    def window(self, event: Mapping[str, Any], kind: Kind) -> dict[str, Any]:
        """A tumbling-window batch: all of it to one window route; its state comes back."""
        window = TumblingWindow.from_event(event, kind)
        what = f"the tumbling-window {kind.value} batch from {window.source_arn!r}"
        facts = {"arn": window.source_arn}
        route = self.router.find(kind, facts, what, window=True)
        if route is None:
            per_record = self.router.find(kind, facts, what)
            if per_record is not None:
                raise UnroutableEventError(
                    f"{what} carries a window state that {per_record.describe()} on "
                    f"{per_record.name} cannot return, so nothing ran. Declare "
                    f"@events.{WINDOW_DECORATORS[kind]}(...) for it (see docs/events.md), "
                    "or remove TumblingWindowInSeconds from the event source mapping."
                )
            raise NoRouteError(
                no_route_message(kind, what, self.router.routes(kind, window=True), window=True)
            )
        return window_reply(window, _single(self.run([Call(route, window)])))

    # ----- resolving: event → calls --------------------------------------------

    def resolve_sqs(self, record: SQSRecord) -> list[Call]:
        arn = _text(record, "eventSourceARN", "SQS record")
        if is_task_body(record.get("body")):  # django.tasks through SQSBackend: any queue
            from django_lambda_bridge.tasks.route import TASK_ROUTE

            return [Call(TASK_ROUTE, record)]
        what = f"the SQS record from queue {arn!r}"
        route = self.router.find(Kind.SQS, {"arn": arn}, what)
        if route is not None:
            return [Call(route, record)]
        inner = self.resolve_nested(record.get("body"), what)
        if inner is None:
            raise NoRouteError(no_route_message(Kind.SQS, what, self.router.routes(Kind.SQS)))
        return inner

    def resolve_sns(self, record: SNSEventRecord) -> list[Call]:
        sns = _mapping(record.get("Sns"))
        arn = _text(sns, "TopicArn", "SNS record")
        what = f"the SNS notification from topic {arn!r}"
        route = self.router.find(Kind.SNS, {"arn": arn}, what)
        if route is not None:
            return [Call(route, record)]
        inner = self.resolve_nested(sns.get("Message"), what)
        if inner is None:
            raise NoRouteError(no_route_message(Kind.SNS, what, self.router.routes(Kind.SNS)))
        return inner

    def resolve_s3(self, record: S3EventRecord) -> list[Call]:
        s3 = _mapping(record.get("s3"))
        bucket = _text(_mapping(s3.get("bucket")), "name", "S3 record's s3.bucket")
        key = _text(_mapping(s3.get("object")), "key", "S3 record's s3.object")
        what = f"the S3 notification for s3://{bucket}/{key}"
        return [Call(self.router.get(Kind.S3, {"bucket": bucket, "key": key}, what), record)]

    def resolve_eventbridge(self, event: Mapping[str, Any]) -> list[Call]:
        source = _text(event, "source", "EventBridge event")
        detail_type = _text(event, "detail-type", "EventBridge event")
        if detail_type == "Scheduled Event" and source in ("aws.events", "aws.scheduler"):
            resources = event.get("resources")
            if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
                raise MalformedEventError(
                    "The Scheduled Event has no 'resources' list of rule/schedule ARNs, so its "
                    "rule cannot be told. For EventBridge Scheduler, set the target Input as "
                    "in docs/events.md."
                )
            what = f"the Scheduled Event from {', '.join(resources) or 'no resource'}"
            route = self.router.get(Kind.SCHEDULE, {"resources": resources}, what)
            return [Call(route, EventBridgeEvent(dict(event)))]
        what = f"the EventBridge event source={source!r} detail-type={detail_type!r}"
        facts = {"source": source, "detail_type": detail_type}
        route = self.router.get(Kind.EVENTBRIDGE, facts, what)
        wrapper = S3EventBridgeNotificationEvent if source == "aws.s3" else EventBridgeEvent
        return [Call(route, wrapper(dict(event)))]

    def resolve_kinesis(self, record: KinesisStreamRecord) -> list[Call]:
        arn = _text(record, "eventSourceARN", "Kinesis record")
        what = f"the Kinesis record from stream {arn!r}"
        return [Call(self.router.get(Kind.KINESIS, {"arn": arn}, what), record)]

    def resolve_dynamodb(self, record: DynamoDBRecord) -> list[Call]:
        arn = _text(record, "eventSourceARN", "DynamoDB stream record")
        what = f"the DynamoDB stream record from {arn!r}"
        return [Call(self.router.get(Kind.DYNAMODB, {"arn": arn}, what), record)]

    def resolve_cloudwatch_logs(self, event: Mapping[str, Any]) -> list[Call]:
        data = _mapping(event.get("awslogs")).get("data")
        try:
            decoded = json.loads(gzip.decompress(base64.b64decode(str(data), validate=True)))
            log_group = decoded["logGroup"]
        except (binascii.Error, OSError, EOFError, zlib.error, ValueError, KeyError, TypeError):
            raise MalformedEventError(
                "The CloudWatch Logs event's awslogs.data is not gzipped, base64-encoded JSON "
                "with a logGroup."
            ) from None
        what = f"the CloudWatch Logs batch from log group {log_group!r}"
        route = self.router.get(Kind.CLOUDWATCH_LOGS, {"log_group": log_group}, what)
        return [Call(route, CloudWatchLogsEvent(dict(event)))]

    def resolve_invoke(self, event: Mapping[str, Any]) -> list[Call]:
        name = event.get("invoke")
        if not isinstance(name, str):
            raise MalformedEventError(
                f'A direct invocation needs {{"invoke": "<name>", "payload": ...}}; '
                f"'invoke' was {type(name).__name__}, not a str."
            )
        extra = sorted(set(event) - {"invoke", "payload"})
        if extra:
            raise MalformedEventError(
                f"Unexpected key(s) {', '.join(extra)} in the {name!r} invocation: put "
                "arguments under 'payload'."
            )
        route = self.router.get(Kind.INVOKE, {"name": name}, f"the invocation {name!r}")
        return [Call(route, event.get("payload"))]

    def resolve_websocket(self, event: Mapping[str, Any]) -> list[Call]:
        ws = WebSocketEvent(dict(event), endpoint_url=self.conf.WEBSOCKET_ENDPOINT_URL)
        route_key = ws.route_key
        what = f"the WebSocket {route_key!r} route"
        route = self.router.get(Kind.WEBSOCKET, {"route_key": route_key}, what)
        return [Call(route, ws)]

    def resolve_nested(self, body: Any, outer: str) -> list[Call] | None:
        """Routes for an event carried in a message body, or ``None`` if it is not one."""
        if not isinstance(body, str) or not body.lstrip().startswith("{"):
            return None
        try:
            inner = json.loads(body)
        except ValueError:
            return None
        if not isinstance(inner, dict):
            return None
        if inner.get("Type") == "Notification" and "TopicArn" in inner and "Message" in inner:
            return self.resolve_sns(SNSEventRecord(_sns_record_from_envelope(inner)))
        if inner.get("Event") == "s3:TestEvent" and inner.get("Service") == "Amazon S3":
            logger.info("Ignoring the s3:TestEvent S3 sends when notifications are set up")
            return []
        records = inner.get("Records")
        if isinstance(records, list) and records:
            if all(isinstance(r, dict) and r.get("eventSource") == "aws:s3" for r in records):
                return [call for r in records for call in self.resolve_s3(S3EventRecord(r))]
            return None
        if all(k in inner for k in ("source", "detail-type", "detail")):
            return self.resolve_eventbridge(inner)
        logger.debug("The body of %s is JSON but no known event", outer)
        return None


def _sns_record_from_envelope(envelope: dict[str, Any]) -> dict[str, Any]:
    """The record SNS would send Lambda directly, from the envelope it sends SQS.

    The SQS envelope spells two keys ``...URL`` where Lambda's spells ``...Url``.
    """
    sns = dict(envelope)
    for old, new in (("SigningCertURL", "SigningCertUrl"), ("UnsubscribeURL", "UnsubscribeUrl")):
        if old in sns:
            sns[new] = sns.pop(old)
    sns.setdefault("MessageAttributes", {})
    sns.setdefault("Subject", None)
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": "",
        "Sns": sns,
    }


def _records(event: Mapping[str, Any], kind: Kind) -> list[dict[str, Any]]:
    records = event.get("Records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise MalformedEventError(f"The {kind.value} event's 'Records' is not a list of objects.")
    return records


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(source: Mapping[str, Any], key: str, what: str) -> str:
    value = source.get(key)
    if not isinstance(value, str):
        raise MalformedEventError(f"The {what} has no {key!r} string; cannot route it.")
    return value


def _single(results: list[Any]) -> Any:
    return results[0] if results else None
