"""Partial batch failures on Powertools' ``BatchProcessor``, plus the rules it lacks.

Powertools runs each record, collects failures and builds the
``batchItemFailures`` reply; we use only its public API (the processor as a
context manager, ``process()``, ``response()`` and ``BatchProcessingError``).
The rules below live in the record handler we give it, ``RecordGuard``:

- **Deadline.** Once the invocation has less than the margin left, remaining
  records are reported failed without running, so Lambda delivers them again
  instead of the whole batch timing out. The margin is relative to the time the
  batch starts with (``Deadline``), and the first record always runs, so a short
  function timeout cannot starve a queue. Each skip costs the message a receive.
- **Streams stop at the first failure.** Lambda resumes a Kinesis or DynamoDB
  shard from the lowest failed sequence number, so records after a failure
  come again anyway; running them now would run them twice and out of order.
- **FIFO groups:** later records of a failed message group are reported failed,
  other groups go on. A record whose group cannot be read fails alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import (
    BatchFailedError,
    EventError,
    MalformedEventError,
    RecordSkippedError,
)
from django_lambda_bridge.events.deadline import effective_margin_ms
from django_lambda_bridge.kinds import Kind

logger = logging.getLogger("django_lambda_bridge.events")

EVENT_TYPES: dict[Kind, EventType] = {
    Kind.SQS: EventType.SQS,
    Kind.KINESIS: EventType.KinesisDataStreams,
    Kind.DYNAMODB: EventType.DynamoDBStreams,
}

#: The default share of the batch's starting time kept as the margin at most.
DEFAULT_MARGIN_FRACTION = BridgeSettings.DEADLINE_MARGIN_FRACTION


class Deadline:
    """When to stop taking records, from the Lambda context's remaining time."""

    def __init__(
        self, context: Any, margin_ms: int, fraction: float = DEFAULT_MARGIN_FRACTION
    ) -> None:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._remaining: Callable[[], int] | None = remaining if callable(remaining) else None
        self.setting_ms = margin_ms
        self.start_ms = self.remaining_ms()
        self.margin_ms = (
            margin_ms
            if self.start_ms is None
            else effective_margin_ms(margin_ms, fraction, self.start_ms)
        )

    def remaining_ms(self) -> int | None:
        return None if self._remaining is None else int(self._remaining())

    def near(self) -> bool:
        remaining = self.remaining_ms()
        return remaining is not None and remaining < self.margin_ms


class RecordGuard:
    """The record handler Powertools calls: applies the rules above, then ``handle``."""

    def __init__(
        self,
        kind: Kind,
        handle: Callable[[Any], Any],
        deadline: Deadline,
        ident: Callable[[Mapping[str, Any]], Any],
        *,
        fifo: bool = False,
    ) -> None:
        self.kind = kind
        self.handle = handle
        self.deadline = deadline
        self.ident = ident
        self.fifo = fifo
        self.stop_after_failure = kind in (Kind.KINESIS, Kind.DYNAMODB)
        self.taken = 0
        self.skipped = 0
        self.failed = False
        self.failed_groups: set[str] = set()

    def __call__(self, record: Any) -> Any:  # Powertools passes ``record=`` by keyword
        raw: Mapping[str, Any] = getattr(record, "raw_event", record)
        group: str | None = None
        try:
            group = self._group(raw) if self.fifo else None
        except MalformedEventError as error:
            self.taken += 1  # looked at, so later records still get the deadline rule
            logger.error("%s failed: %s", self._name(raw), error)
            raise
        reason = self._skip_reason(group)
        if reason is not None:
            self.skipped += 1
            self._note_failure(group)
            raise RecordSkippedError(f"Not run, to be delivered again: {reason}.")
        self.taken += 1
        try:
            return self.handle(record)
        except EventError as error:  # ours: the message says it all, no traceback
            logger.error("%s failed: %s", self._name(raw), error)
            self._note_failure(group)
            raise
        except Exception:
            logger.warning("%s failed; reported for redelivery", self._name(raw), exc_info=True)
            self._note_failure(group)
            raise

    def _skip_reason(self, group: str | None) -> str | None:
        if self.stop_after_failure and self.failed:
            return "an earlier record of this shard failed; the stream resumes from there"
        if group is not None and group in self.failed_groups:
            return f"an earlier record of message group {group!r} failed"
        if self.taken and self.deadline.near():
            return (
                f"less than the deadline margin ({self.deadline.margin_ms} ms; "
                f"DEADLINE_MARGIN_MS={self.deadline.setting_ms}) of the invocation was left"
            )
        return None

    def _note_failure(self, group: str | None) -> None:
        self.failed = True
        if group is not None:
            self.failed_groups.add(group)

    def _group(self, raw: Mapping[str, Any]) -> str | None:
        """The FIFO message group; a record whose group cannot be read fails alone."""
        attributes = raw.get("attributes")
        if not isinstance(attributes, Mapping):
            raise MalformedEventError(
                f"the FIFO record's 'attributes' is a {type(attributes).__name__}, not an "
                "object, so its message group is unknown; it alone is reported failed."
            )
        group = attributes.get("MessageGroupId")
        if group is not None and not isinstance(group, str):
            raise MalformedEventError(
                f"the FIFO record's 'attributes.MessageGroupId' is a {type(group).__name__}, "
                "not a string, so its message group is unknown; it alone is reported failed."
            )
        return group

    def _name(self, raw: Mapping[str, Any]) -> str:
        return f"{self.kind.value} record {self.ident(raw)!r}"


def process_batch(
    kind: Kind,
    records: Sequence[dict[str, Any]],
    handle: Callable[[Any], Any],
    deadline: Deadline,
    ident: Callable[[Mapping[str, Any]], Any],
    *,
    fifo: bool = False,
) -> dict[str, Any]:
    """Run ``handle`` on each record (as a Powertools data class); return the partial reply.

    If every record failed, raise ``BatchFailedError`` instead: that retries the
    batch even where ``ReportBatchItemFailures`` was forgotten, in which case a
    reply listing failures would be taken as success and the batch deleted.
    """
    guard = RecordGuard(kind, handle, deadline, ident, fifo=fifo)
    processor = BatchProcessor(event_type=EVENT_TYPES[kind])
    try:
        with processor(records=list(records), handler=guard):
            processor.process()
    except BatchProcessingError as exc:
        raise BatchFailedError(
            f"All {len(records)} {kind.value} records failed; raising so Lambda retries the "
            f"whole batch. First error: {_first_error(exc)}"
        ) from exc
    if guard.skipped:
        logger.warning(
            "%d of %d %s records were not run and are reported failed for redelivery "
            "(each such skip counts as one receive towards a queue's maxReceiveCount)",
            guard.skipped,
            len(records),
            kind.value,
        )
    return dict(processor.response())


def _first_error(exc: BatchProcessingError) -> str:
    for _, error, _ in exc.child_exceptions:
        if error is not None:
            return f"{type(error).__name__}: {error}"
    return "unknown"
