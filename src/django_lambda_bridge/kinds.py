"""Tell every Lambda event shape apart, from one ordered table.

Classification only looks at the outer shape, cheaply: it must never raise on
odd input. Whether an event of a kind is *well formed* is checked later, by the
code that handles that kind, so a broken HTTP event still gets an HTTP reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from django_lambda_bridge.errors import UnknownEventError, describe_keys


class Kind(StrEnum):
    """What an event is; the value is a stable name for logs and metrics."""

    API_GATEWAY_V1 = "apigateway-rest"
    API_GATEWAY_V2 = "apigateway-http"
    FUNCTION_URL = "function-url"
    ALB = "alb"
    SQS = "sqs"
    SNS = "sns"
    S3 = "s3"
    DYNAMODB = "dynamodb"
    KINESIS = "kinesis"
    EVENTBRIDGE = "eventbridge"
    SCHEDULE = "schedule"
    CLOUDWATCH_LOGS = "cloudwatch-logs"
    FIREHOSE = "firehose"
    AUTHORIZER = "authorizer"
    VPC_LATTICE = "vpc-lattice"
    WEBSOCKET = "apigateway-websocket"
    WARM_UP = "warm-up"
    MANAGE = "manage"
    INVOKE = "invoke"

    @property
    def is_http(self) -> bool:
        return self in _HTTP_KINDS


_HTTP_KINDS = frozenset(
    {Kind.API_GATEWAY_V1, Kind.API_GATEWAY_V2, Kind.FUNCTION_URL, Kind.ALB, Kind.VPC_LATTICE}
)

#: The only key of a warm-up rule's constant Input, ``{"warmup": true}``; see
#: docs/operations.md. A real ``Scheduled Event`` never has this shape.
WARM_UP_MARKER = "warmup"

_Event = Mapping[str, Any]


def _request_context(event: _Event) -> Mapping[str, Any]:
    rc = event.get("requestContext")
    return rc if isinstance(rc, Mapping) else {}


def _is_authorizer(event: _Event) -> bool:
    return ("methodArn" in event or "routeArn" in event) and event.get("type") in (
        "TOKEN",
        "REQUEST",
    )


#: ``requestContext.eventType`` of API Gateway WebSocket API events.
_WEBSOCKET_EVENT_TYPES = ("CONNECT", "DISCONNECT", "MESSAGE")


def _is_websocket(event: _Event) -> bool:
    # Checked before the REST shape: a $connect event carries headers (and, from some
    # front doors, httpMethod/path) but is a WebSocket handshake, not a Django request.
    rc = _request_context(event)
    return (
        rc.get("eventType") in _WEBSOCKET_EVENT_TYPES and "connectionId" in rc and "routeKey" in rc
    )


def _is_lattice(event: _Event) -> bool:
    if "raw_path" in event or "serviceNetworkArn" in _request_context(event):
        return True
    # Structure v2 even with a broken requestContext, so that it gets a 400 reply.
    return (
        event.get("version") == "2.0"
        and "method" in event
        and "path" in event
        and "rawPath" not in event
    )


def _is_alb(event: _Event) -> bool:
    return "elb" in _request_context(event)


def _is_v2(event: _Event) -> bool:
    return event.get("version") == "2.0" and (
        "rawPath" in event or "http" in _request_context(event)
    )


def _is_function_url(event: _Event) -> bool:
    domain = _request_context(event).get("domainName")
    return _is_v2(event) and isinstance(domain, str) and ".lambda-url." in domain


def _is_v1(event: _Event) -> bool:
    return "httpMethod" in event and ("path" in event or "requestContext" in event)


def _record_source(event: _Event) -> str | None:
    records = event.get("Records")
    if not isinstance(records, list) or not records or not isinstance(records[0], Mapping):
        return None
    first = records[0]
    source = first.get("eventSource") or first.get("EventSource")
    return source if isinstance(source, str) else None


def _records_from(source: str) -> Callable[[_Event], bool]:
    return lambda event: _record_source(event) == source


def _window_service(event: _Event) -> str | None:
    """The service of a tumbling-window batch's ``eventSourceARN``: its last
    invocation may carry no records to tell the source by."""
    arn = event.get("eventSourceARN")
    if "window" not in event or not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 3)
    return parts[2] if len(parts) > 2 else None


def _stream_from(source: str, service: str) -> Callable[[_Event], bool]:
    return lambda event: _record_source(event) == source or _window_service(event) == service


#: ``aws.events``: a rule's ``Scheduled Event``. ``aws.scheduler``: an EventBridge
#: Scheduler schedule whose target Input has the same shape (docs/events.md),
#: since Scheduler itself sends only the Input it is given.
_SCHEDULE_SOURCES = ("aws.events", "aws.scheduler")


def _is_schedule(event: _Event) -> bool:
    return event.get("detail-type") == "Scheduled Event" and event.get("source") in (
        _SCHEDULE_SOURCES
    )


def _is_eventbridge(event: _Event) -> bool:
    return "detail-type" in event and "source" in event and "detail" in event


def _is_warm_up(event: _Event) -> bool:
    return set(event) == {WARM_UP_MARKER}


def _is_manage(event: _Event) -> bool:
    # Belt and braces: HTTP shapes are matched earlier, but anything carrying a
    # requestContext came through an HTTP front door and must never run commands.
    return "manage" in event and "requestContext" not in event


#: Order matters: the first predicate that holds wins. Specific shapes come
#: before the general ones they resemble (authorizer, WebSocket and Lattice
#: events look like HTTP requests; Function URLs are v2 events). Envelopes are
#: classified by their outside: SNS, S3 or EventBridge messages delivered through SQS are SQS
#: batches (the event router opens them), and S3 events sent through EventBridge
#: are EventBridge events.
TABLE: tuple[tuple[Kind, Callable[[_Event], bool]], ...] = (
    (Kind.AUTHORIZER, _is_authorizer),
    (Kind.WEBSOCKET, _is_websocket),
    (Kind.VPC_LATTICE, _is_lattice),
    (Kind.ALB, _is_alb),
    (Kind.FUNCTION_URL, _is_function_url),
    (Kind.API_GATEWAY_V2, _is_v2),
    (Kind.API_GATEWAY_V1, _is_v1),
    (Kind.SQS, _records_from("aws:sqs")),
    (Kind.SNS, _records_from("aws:sns")),
    (Kind.S3, _records_from("aws:s3")),
    (Kind.DYNAMODB, _stream_from("aws:dynamodb", "dynamodb")),
    (Kind.KINESIS, _stream_from("aws:kinesis", "kinesis")),
    (Kind.SCHEDULE, _is_schedule),
    (Kind.EVENTBRIDGE, _is_eventbridge),
    (Kind.CLOUDWATCH_LOGS, lambda e: "awslogs" in e),
    (Kind.FIREHOSE, lambda e: "deliveryStreamArn" in e and "records" in e),
    (Kind.WARM_UP, _is_warm_up),
    (Kind.MANAGE, _is_manage),
    (Kind.INVOKE, lambda e: "invoke" in e),
)


#: Keys that make ``_http_fast_path`` leave an event to the table: the shapes
#: the table puts before the plain HTTP kinds (authorizers, VPC Lattice).
_NOT_FAST = ("methodArn", "routeArn", "raw_path")
#: ``requestContext`` keys of shapes that are not plain HTTP requests (VPC
#: Lattice, API Gateway WebSocket), left to the table as well.
_NOT_FAST_RC = ("serviceNetworkArn", "connectionId", "eventType")


def _http_fast_path(event: dict[str, Any]) -> Kind | None:
    """The table's answer for the common HTTP shapes, in a few dict lookups.

    Every HTTP request is classified, so walking the table's predicates in
    order (about 3 µs before REST matches) is paid per request. This returns
    exactly what the table would, or None to let the table decide.
    """
    rc = event.get("requestContext")
    if type(rc) is not dict:
        return None
    for key in _NOT_FAST:
        if key in event:
            return None
    for key in _NOT_FAST_RC:
        if key in rc:
            return None
    if "elb" in rc:
        return Kind.ALB
    if event.get("version") == "2.0":
        if "rawPath" not in event and "http" not in rc:
            return None
        domain = rc.get("domainName")
        if isinstance(domain, str) and ".lambda-url." in domain:
            return Kind.FUNCTION_URL
        return Kind.API_GATEWAY_V2
    return Kind.API_GATEWAY_V1 if "httpMethod" in event else None


def classify(event: Any) -> Kind:
    """Return the event's kind, or raise ``UnknownEventError`` naming its top-level keys."""
    if type(event) is dict:
        kind = _http_fast_path(event)
        if kind is not None:
            return kind
    if isinstance(event, Mapping):
        for kind, matches in TABLE:
            if matches(event):
                return kind
    source = _record_source(event) if isinstance(event, Mapping) else None
    if source is not None:
        raise UnknownEventError(
            f"Cannot handle a batch of {source!r} records ({describe_keys(event)}): this "
            "event source is not supported. Supported record sources are aws:sqs, aws:sns, "
            "aws:s3, aws:dynamodb and aws:kinesis."
        )
    raise UnknownEventError(
        f"Cannot tell what kind of event this is ({describe_keys(event)}). "
        "Expected an API Gateway (REST, HTTP or WebSocket), ALB, Function URL or VPC Lattice "
        "request, an SQS/SNS/S3/DynamoDB/Kinesis batch, an EventBridge event, or a direct "
        'invocation such as {"manage": [...]} or {"invoke": "name"}.'
    )
