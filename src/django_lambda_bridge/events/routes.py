"""Routes: which function handles which non-HTTP event, declared with decorators.

This module is imported by every ``lambda_events.py`` at startup, so it stays
light: the standard library and our leaf modules only. Matching is done on a
few plain facts taken from an event (a queue ARN, a bucket and key, a source and
detail-type); turning events into those facts lives in ``dispatch``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote_plus

from django_lambda_bridge.errors import AmbiguousRouteError, NoRouteError, RouteConflictError
from django_lambda_bridge.kinds import Kind

F = TypeVar("F", bound=Callable[..., Any])

#: Kinds a route can be declared for, with the decorator that declares them.
ROUTABLE_KINDS: dict[Kind, str] = {
    Kind.SQS: "sqs",
    Kind.SNS: "sns",
    Kind.S3: "s3",
    Kind.EVENTBRIDGE: "eventbridge",
    Kind.SCHEDULE: "schedule",
    Kind.DYNAMODB: "dynamodb",
    Kind.KINESIS: "kinesis",
    Kind.CLOUDWATCH_LOGS: "cloudwatch_logs",
    Kind.INVOKE: "invoke",
    Kind.WEBSOCKET: "websocket",
}

#: Decorators of tumbling-window routes, which take a whole window batch at once.
WINDOW_DECORATORS: dict[Kind, str] = {
    Kind.KINESIS: "kinesis_window",
    Kind.DYNAMODB: "dynamodb_window",
}


def arn_resource_name(value: str) -> str:
    """The plain name inside an ARN (``queue``, ``topic``, ``table``, ``stream``, ``rule``).

    ``arn:aws:sqs:r:a:q`` → ``q``; ``arn:aws:dynamodb:r:a:table/T/stream/L`` → ``T``;
    ``arn:aws:kinesis:r:a:stream/S`` → ``S``; ``arn:aws:events:r:a:rule/bus/R`` → ``R``.
    Anything that is not an ARN is returned unchanged.
    """
    if not value.startswith("arn:"):
        return value
    resource = value.split(":", 5)[-1]
    parts = resource.split("/")
    if parts[0] == "table" and len(parts) > 1:
        return parts[1]
    return parts[-1]


def _same_resource(wanted: str, arn: str) -> bool:
    """A route names a resource by plain name (any account/region) or by exact ARN."""
    if wanted.startswith("arn:"):
        if arn.startswith("arn:aws:dynamodb:"):
            arn = arn.split("/stream/", 1)[0]  # a stream ARN extends its table's ARN
        return wanted == arn
    return wanted == arn_resource_name(arn)


def _names_overlap(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    if a.startswith("arn:") and b.startswith("arn:"):
        return a == b
    return arn_resource_name(a) == arn_resource_name(b)


def _affixes_overlap(a: str, b: str, *, prefix: bool) -> bool:
    # Some key has both affixes exactly when one extends the other.
    if prefix:
        return a.startswith(b) or b.startswith(a)
    return a.endswith(b) or b.endswith(a)


@dataclass(frozen=True)
class Route:
    """One decorated function and what it matches.

    ``filters`` holds the decorator's arguments; ``None`` means "any". A
    ``window`` route takes a stream's tumbling-window batches, whole; a
    ``batch`` route takes a queue's records all at once (``@events.sqs_batch``).
    """

    kind: Kind
    func: Callable[..., Any]
    filters: tuple[tuple[str, str | None], ...]
    atomic: bool | None = None
    using: str | None = None
    wants_context: bool = field(default=False, compare=False)
    window: bool = False
    batch: bool = False

    @property
    def name(self) -> str:
        func = self.func  # any callable: functions, bound methods, instances with __call__
        module = getattr(func, "__module__", None) or type(func).__module__
        qualname = getattr(func, "__qualname__", None) or f"<{type(func).__qualname__} object>"
        return f"{module}.{qualname}"

    def filter(self, key: str) -> str | None:
        return dict(self.filters).get(key)

    def describe(self) -> str:
        """The decorator as written, e.g. ``@events.s3(bucket='media', prefix='in/')``."""
        if self.kind in (Kind.SCHEDULE, Kind.INVOKE) or (
            self.kind is Kind.WEBSOCKET and self.filters[0][1] is not None
        ):
            args = repr(self.filters[0][1])
        else:
            args = ", ".join(f"{k}={v!r}" for k, v in self.filters if v not in (None, ""))
        if self.batch:
            decorator = "sqs_batch"
        elif self.window:
            decorator = WINDOW_DECORATORS[self.kind]
        else:
            decorator = ROUTABLE_KINDS[self.kind]
        return f"@events.{decorator}({args})"

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """Whether an event with these facts is for this route (see ``dispatch`` for facts)."""
        kind = self.kind
        if kind in (Kind.SQS, Kind.SNS, Kind.DYNAMODB, Kind.KINESIS):
            wanted = self.filters[0][1]
            return wanted is None or _same_resource(wanted, facts["arn"])
        if kind is Kind.S3:
            bucket, prefix, suffix = (v for _, v in self.filters)
            key = unquote_plus(facts["key"])  # notifications carry keys URL-encoded
            return (
                (bucket is None or bucket == facts["bucket"])
                and key.startswith(prefix or "")
                and key.endswith(suffix or "")
            )
        if kind is Kind.EVENTBRIDGE:
            source, detail_type = (v for _, v in self.filters)
            return (source is None or source == facts["source"]) and (
                detail_type is None or detail_type == facts["detail_type"]
            )
        if kind is Kind.SCHEDULE:
            wanted = self.filters[0][1]
            return any(_schedule_name_matches(wanted or "", arn) for arn in facts["resources"])
        if kind is Kind.CLOUDWATCH_LOGS:
            wanted = self.filters[0][1]
            return wanted is None or wanted == facts["log_group"]
        if kind is Kind.WEBSOCKET:
            wanted = self.filters[0][1]
            return wanted is None or wanted == facts["route_key"]
        return bool(self.filters[0][1] == facts["name"])  # INVOKE

    def overlaps(self, other: Route) -> bool:
        """Whether some event could match both routes (they are then ambiguous)."""
        if self.kind is not other.kind or self.window is not other.window:
            return False
        if self.kind is Kind.S3:
            (b1, p1, s1), (b2, p2, s2) = ((v for _, v in r.filters) for r in (self, other))
            return (
                (b1 is None or b2 is None or b1 == b2)
                and _affixes_overlap(p1 or "", p2 or "", prefix=True)
                and _affixes_overlap(s1 or "", s2 or "", prefix=False)
            )
        if self.kind is Kind.EVENTBRIDGE:
            return all(
                a is None or b is None or a == b
                for (_, a), (_, b) in zip(self.filters, other.filters, strict=True)
            )
        if self.kind in (Kind.SCHEDULE, Kind.INVOKE, Kind.CLOUDWATCH_LOGS, Kind.WEBSOCKET):
            a, b = self.filters[0][1], other.filters[0][1]
            if self.kind is Kind.SCHEDULE:
                return _schedule_names_overlap(a or "", b or "")
            return a is None or b is None or a == b
        return _names_overlap(self.filters[0][1], other.filters[0][1])


def _schedule_name_matches(wanted: str, arn: str) -> bool:
    """``"sweep"`` or ``"group/sweep"`` against a rule or schedule ARN in ``resources``.

    Rules: ``...:rule/NAME`` or ``...:rule/BUS/NAME``. EventBridge Scheduler:
    ``...:schedule/GROUP/NAME``. A full ARN must be equal.
    """
    if wanted.startswith("arn:"):
        return wanted == arn
    if not arn.startswith("arn:"):
        return wanted == arn
    path = arn.split(":", 5)[-1].split("/")[1:]
    return "/".join(path[-len(wanted.split("/")) :]) == wanted


def _schedule_names_overlap(a: str, b: str) -> bool:
    if a.startswith("arn:") or b.startswith("arn:"):
        if a.startswith("arn:") and b.startswith("arn:"):
            return a == b
        arn, name = (a, b) if a.startswith("arn:") else (b, a)
        return _schedule_name_matches(name, arn)
    short, long = sorted((a.split("/"), b.split("/")), key=len)
    return long[-len(short) :] == short


@dataclass(frozen=True)
class Conflict:
    """Two routes that some event would match at once."""

    first: Route
    second: Route

    def __str__(self) -> str:
        return (
            f"{self.first.describe()} on {self.first.name} overlaps "
            f"{self.second.describe()} on {self.second.name}"
        )


class Router:
    """The table of routes, filled by decorators when ``lambda_events`` modules load.

    Exactly one route must match each event. Overlapping routes are reported by
    ``conflicts()`` (a system check and the handler's init phase use it), and
    refused at dispatch time rather than guessed between.
    """

    def __init__(self) -> None:
        self._routes: list[Route] = []

    # ----- declaring routes -------------------------------------------------

    def sqs(
        self, queue: str | None = None, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """Records from an SQS queue (name or ARN; standard or FIFO): ``fn(SQSRecord)``."""
        return self._decorator(Kind.SQS, (("queue", queue),), atomic, using)

    def sqs_batch(
        self, queue: str | None = None, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """A queue's whole batch at once: ``fn(list[SQSRecord]) -> failed records or None``.

        For handlers that overlap slow I/O across records (concurrent HTTP) or
        write a batch in bulk. The function returns the records that failed (as
        ``SQSRecord`` or message ids); ``None`` or an empty iterable means all
        succeeded, and raising fails them all. Order, FIFO groups and the deadline
        are the function's own business: it gets ``lambda_context`` if it asks.
        A batch route and an ``@events.sqs`` route for one queue conflict.
        """
        return self._decorator(Kind.SQS, (("queue", queue),), atomic, using, batch=True)

    def sns(
        self, topic: str | None = None, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """SNS notifications, direct or through SQS: ``fn(SNSEventRecord)``."""
        return self._decorator(Kind.SNS, (("topic", topic),), atomic, using)

    def s3(
        self,
        bucket: str | None = None,
        *,
        prefix: str = "",
        suffix: str = "",
        atomic: bool | None = None,
        using: str | None = None,
    ) -> Callable[[F], F]:
        """S3 notifications, direct or through SQS/SNS: ``fn(S3EventRecord)``."""
        filters = (("bucket", bucket), ("prefix", prefix), ("suffix", suffix))
        return self._decorator(Kind.S3, filters, atomic, using)

    def eventbridge(
        self,
        source: str | None = None,
        detail_type: str | None = None,
        *,
        atomic: bool | None = None,
        using: str | None = None,
    ) -> Callable[[F], F]:
        """EventBridge events (also through SQS/SNS): ``fn(EventBridgeEvent)``.

        S3 events sent through EventBridge (``source="aws.s3"``) arrive as
        Powertools' ``S3EventBridgeNotificationEvent``.
        """
        filters = (("source", source), ("detail_type", detail_type))
        return self._decorator(Kind.EVENTBRIDGE, filters, atomic, using)

    def schedule(
        self, name: str, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """A ``Scheduled Event`` rule or an EventBridge Scheduler schedule, by name."""
        if not isinstance(name, str) or not name:
            raise TypeError("@events.schedule needs the rule or schedule name, as a str.")
        return self._decorator(Kind.SCHEDULE, (("name", name),), atomic, using)

    def dynamodb(
        self, table: str | None = None, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """DynamoDB stream records of a table (name or table ARN): ``fn(DynamoDBRecord)``."""
        return self._decorator(Kind.DYNAMODB, (("table", table),), atomic, using)

    def kinesis(
        self, stream: str | None = None, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """Kinesis stream records (name or ARN): ``fn(KinesisStreamRecord)``."""
        return self._decorator(Kind.KINESIS, (("stream", stream),), atomic, using)

    def cloudwatch_logs(
        self,
        log_group: str | None = None,
        *,
        atomic: bool | None = None,
        using: str | None = None,
    ) -> Callable[[F], F]:
        """A CloudWatch Logs subscription: ``fn(CloudWatchLogsEvent)``."""
        return self._decorator(Kind.CLOUDWATCH_LOGS, (("log_group", log_group),), atomic, using)

    def invoke(
        self, name: str, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """A direct invocation ``{"invoke": name, "payload": {...}}``: ``fn(payload)``.

        The function's return value is the invocation's result.
        """
        if not isinstance(name, str) or not name:
            raise TypeError("@events.invoke needs the invocation name, as a str.")
        return self._decorator(Kind.INVOKE, (("name", name),), atomic, using)

    def websocket(
        self,
        route_key: str | None = None,
        *,
        atomic: bool | None = None,
        using: str | None = None,
    ) -> Callable[[F], F]:
        """API Gateway WebSocket events by route key (``"$connect"``, ``"$disconnect"``,
        ``"$default"``, ``"sendmessage"``...; ``None``: any): ``fn(WebSocketEvent)``.

        The return value is the reply API Gateway gets: ``None`` (200), an int
        status, a str or bytes body, a JSON-able value, or a dict with ``statusCode``.
        """
        return self._decorator(Kind.WEBSOCKET, (("route_key", route_key),), atomic, using)

    def kinesis_window(
        self, stream: str | None = None, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """Tumbling-window Kinesis batches: ``fn(TumblingWindow) -> new state`` (a dict)."""
        return self._decorator(Kind.KINESIS, (("stream", stream),), atomic, using, window=True)

    def dynamodb_window(
        self, table: str | None = None, *, atomic: bool | None = None, using: str | None = None
    ) -> Callable[[F], F]:
        """Tumbling-window DynamoDB stream batches: ``fn(TumblingWindow) -> new state``."""
        return self._decorator(Kind.DYNAMODB, (("table", table),), atomic, using, window=True)

    def _decorator(
        self,
        kind: Kind,
        filters: tuple[tuple[str, str | None], ...],
        atomic: bool | None,
        using: str | None,
        *,
        window: bool = False,
        batch: bool = False,
    ) -> Callable[[F], F]:
        if batch:
            decorator = "sqs_batch"
        else:
            decorator = WINDOW_DECORATORS[kind] if window else ROUTABLE_KINDS[kind]
        for key, value in filters:
            if value is not None and not isinstance(value, str):
                raise TypeError(
                    f"@events.{decorator}({key}=...) must be a str or None, got {value!r}."
                )

        def register(func: F) -> F:
            route = Route(kind, func, filters, atomic, using, _accepts_context(func), window, batch)
            self.add(route)
            return func

        return register

    def add(self, route: Route) -> None:
        """Register a route. The same route declared again by the same-named function (its
        module imported twice) replaces the old one; stacked decorators add routes."""
        if "<" not in route.name:  # lambdas and nested functions have no stable name
            self._routes = [r for r in self._routes if not _same_declaration(r, route)]
        self._routes.append(route)

    # ----- reading the table -------------------------------------------------

    def __iter__(self) -> Iterator[Route]:
        return iter(list(self._routes))

    def __len__(self) -> int:
        return len(self._routes)

    def routes(self, kind: Kind | None = None, *, window: bool | None = None) -> list[Route]:
        return [
            r
            for r in self._routes
            if (kind is None or r.kind is kind) and (window is None or r.window is window)
        ]

    def conflicts(self) -> list[Conflict]:
        found: list[Conflict] = []
        for i, first in enumerate(self._routes):
            found.extend(Conflict(first, second) for second in self._routes[i + 1 :]
                         if first.overlaps(second))  # fmt: skip
        return found

    def check(self) -> None:
        """Raise ``RouteConflictError`` listing every overlap, if there is one."""
        conflicts = self.conflicts()
        if conflicts:
            raise RouteConflictError(
                "Ambiguous event routes: "
                + "; ".join(str(c) for c in conflicts)
                + ". Make their filters disjoint (queue, topic, bucket/prefix/suffix, "
                "source/detail_type, ...) so each event has exactly one handler; "
                "`manage.py lambda_routes` lists them all."
            )

    def find(
        self, kind: Kind, facts: Mapping[str, Any], what: str, *, window: bool = False
    ) -> Route | None:
        """The one route for these facts, ``None`` if there is none; ambiguity raises.

        ``window`` picks tumbling-window routes instead of per-record ones.
        """
        found = [
            r for r in self._routes if r.kind is kind and r.window is window and r.matches(facts)
        ]
        if len(found) > 1:
            raise AmbiguousRouteError(
                f"{what} matches {len(found)} routes: "
                + ", ".join(f"{r.describe()} on {r.name}" for r in found)
                + ". Nothing was run; make their filters disjoint."
            )
        return found[0] if found else None

    def get(self, kind: Kind, facts: Mapping[str, Any], what: str) -> Route:
        """Like ``find`` but a missing route raises ``NoRouteError`` naming the candidates."""
        route = self.find(kind, facts, what)
        if route is None:
            raise NoRouteError(no_route_message(kind, what, self.routes(kind, window=False)))
        return route


def _same_declaration(a: Route, b: Route) -> bool:
    return (a.name, a.kind, a.filters, a.window, a.batch) == (
        b.name,
        b.kind,
        b.filters,
        b.window,
        b.batch,
    )


def no_route_message(
    kind: Kind, what: str, candidates: Iterable[Route], *, window: bool = False
) -> str:
    listed = ", ".join(r.describe() for r in candidates)
    decorator = WINDOW_DECORATORS[kind] if window else ROUTABLE_KINDS[kind]
    return (
        f"No route for {what}. Declare one with @events.{decorator}(...) in a "
        "lambda_events.py module of an installed app"
        + (f" (registered {kind.value} routes: {listed})." if listed else ".")
    )


def _accepts_context(func: Callable[..., Any]) -> bool:
    """Handlers that name a ``lambda_context`` parameter get the context, as in Powertools."""
    try:
        return "lambda_context" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
