"""Tumbling windows: Kinesis and DynamoDB stream batches that carry an aggregate ``state``.

With ``TumblingWindowInSeconds`` on the event source mapping, Lambda sends each
batch of a window with the ``state`` the previous invocation returned, and
expects the new state back in the reply (``{"state": ..., "batchItemFailures":
[...]}``); a reply without it loses the aggregate. So a window batch goes whole
to one ``@events.kinesis_window`` / ``@events.dynamodb_window`` route, which
returns the new state. The last invocation of a window
(``is_final_invoke``, possibly with no records) is where to act on the result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)

from django_lambda_bridge.errors import HandlerReplyError, MalformedEventError
from django_lambda_bridge.kinds import Kind

#: Lambda refuses a window state larger than this (bytes of JSON).
STATE_LIMIT = 1024 * 1024


def is_tumbling_window(event: Mapping[str, Any]) -> bool:
    """Whether a stream batch belongs to a tumbling window (it carries ``window``)."""
    return "window" in event


@dataclass(frozen=True)
class TumblingWindow:
    """One invocation of a tumbling window: its records and the state so far."""

    kind: Kind
    source_arn: str
    start: str
    end: str
    state: dict[str, Any] = field(repr=False)  # reprs stay free of stream data
    records: list[Any] = field(default_factory=list, repr=False)
    shard_id: str | None = None
    #: The window's last invocation: emit the aggregate now; the state returned is dropped.
    is_final_invoke: bool = False
    #: The window ended early (a reshard, or the state reached its 1 MB limit).
    is_terminated_early: bool = False

    @classmethod
    def from_event(cls, event: Mapping[str, Any], kind: Kind) -> TumblingWindow:
        window = event.get("window")
        start = window.get("start") if isinstance(window, Mapping) else None
        end = window.get("end") if isinstance(window, Mapping) else None
        if not isinstance(start, str) or not isinstance(end, str):
            raise MalformedEventError(
                f"The tumbling-window {kind.value} event's 'window' is not an object with "
                "'start' and 'end' strings."
            )
        state = event.get("state")
        if state is None:
            state = {}
        if not isinstance(state, Mapping):
            raise MalformedEventError(
                f"The tumbling-window {kind.value} event's 'state' is a {type(state).__name__}, "
                "not an object."
            )
        records = event.get("Records")
        if records is None:
            records = []
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise MalformedEventError(
                f"The tumbling-window {kind.value} event's 'Records' is not a list of objects."
            )
        arn = event.get("eventSourceARN")
        if not isinstance(arn, str) and records:
            arn = records[0].get("eventSourceARN")
        if not isinstance(arn, str):
            raise MalformedEventError(
                f"The tumbling-window {kind.value} event has no 'eventSourceARN' string; "
                "cannot route it."
            )
        flags = {}
        for key in ("isFinalInvokeForWindow", "isWindowTerminatedEarly"):
            value = event.get(key, False)
            if not isinstance(value, bool):
                raise MalformedEventError(
                    f"The tumbling-window {kind.value} event's {key!r} is not true or false."
                )
            flags[key] = value
        shard = event.get("shardId")
        wrap = KinesisStreamRecord if kind is Kind.KINESIS else DynamoDBRecord
        return cls(
            kind=kind,
            source_arn=arn,
            start=start,
            end=end,
            state=dict(state),
            records=[wrap(r) for r in records],
            shard_id=shard if isinstance(shard, str) else None,
            is_final_invoke=flags["isFinalInvokeForWindow"],
            is_terminated_early=flags["isWindowTerminatedEarly"],
        )


def window_reply(window: TumblingWindow, returned: Any) -> dict[str, Any]:
    """The reply Lambda expects: the new state, and no failed records.

    A route must return the new state (a JSON object); ``None`` is accepted only
    on the final invocation, whose state Lambda discards anyway.
    """
    if returned is None and window.is_final_invoke:
        returned = {}
    if not isinstance(returned, Mapping):
        raise HandlerReplyError(
            f"A tumbling-window route returned a {type(returned).__name__}; it must return the "
            "new state as a dict (the state it was given, updated), or the window's aggregate "
            "is lost."
        )
    try:
        size = len(json.dumps(returned, ensure_ascii=False).encode())
    except (TypeError, ValueError):
        raise HandlerReplyError(
            "A tumbling-window route returned a state that is not JSON-able."
        ) from None
    if size > STATE_LIMIT:
        raise HandlerReplyError(
            f"A tumbling-window route returned a {size}-byte state, over Lambda's 1 MB limit."
        )
    return {"state": dict(returned), "batchItemFailures": []}
