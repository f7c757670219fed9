"""Partial batch failures on Powertools' batch processors, plus the two rules they lack.

Powertools runs each record, collects failures and builds the
``batchItemFailures`` reply. On top of it:

- **Deadline.** Once the invocation has less than ``DEADLINE_MARGIN_MS`` left,
  remaining records are reported failed without running, so Lambda delivers
  them again instead of the whole batch timing out. The first record always
  runs, so a margin larger than the timeout cannot stall a queue.
- **Streams stop at the first failure.** Lambda resumes a Kinesis or DynamoDB
  shard from the lowest failed sequence number, so records after a failure
  come again anyway; running them now would run them twice and out of order.
- **FIFO groups** use ``SqsFifoPartialProcessor(skip_group_on_error=True)``:
  later records of a failed message group are reported failed, other groups go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
)
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from django_lambda_bridge.errors import BatchFailedError, RecordSkippedError
from django_lambda_bridge.kinds import Kind

logger = logging.getLogger("django_lambda_bridge.events")

EVENT_TYPES: dict[Kind, EventType] = {
    Kind.SQS: EventType.SQS,
    Kind.KINESIS: EventType.KinesisDataStreams,
    Kind.DYNAMODB: EventType.DynamoDBStreams,
}


class Deadline:
    """When to stop taking records, from the Lambda context's remaining time."""

    def __init__(self, context: Any, margin_ms: int) -> None:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._remaining: Callable[[], int] | None = remaining if callable(remaining) else None
        self.margin_ms = margin_ms

    def remaining_ms(self) -> int | None:
        return None if self._remaining is None else int(self._remaining())

    def near(self) -> bool:
        remaining = self.remaining_ms()
        return remaining is not None and remaining < self.margin_ms


class _Guarded:
    """Mixin for Powertools processors: skip records past the deadline or after a failure."""

    deadline: Deadline
    stop_after_failure: bool
    skipped: int

    def _skip_reason(self) -> str | None:
        taken = len(self.success_messages) + len(self.fail_messages)  # type: ignore[attr-defined]
        if self.stop_after_failure and self.fail_messages:  # type: ignore[attr-defined]
            return "an earlier record of this shard failed; the stream resumes from there"
        if taken and self.deadline.near():
            return (
                f"less than DEADLINE_MARGIN_MS={self.deadline.margin_ms} ms of the invocation "
                "was left"
            )
        return None

    def _process_record(self, record: dict[str, Any]) -> Any:
        reason = self._skip_reason()
        if reason is None:
            return super()._process_record(record)  # type: ignore[misc]
        self.skipped += 1
        error = RecordSkippedError(f"Not run, to be delivered again: {reason}.")
        data = self._to_batch_type(record, event_type=self.event_type)  # type: ignore[attr-defined]
        return self.failure_handler(data, (RecordSkippedError, error, None))  # type: ignore[attr-defined]


class GuardedBatchProcessor(_Guarded, BatchProcessor):
    def __init__(self, kind: Kind, deadline: Deadline) -> None:
        super().__init__(event_type=EVENT_TYPES[kind], logger=logger)
        self.deadline = deadline
        self.stop_after_failure = kind in (Kind.KINESIS, Kind.DYNAMODB)
        self.skipped = 0


class GuardedFifoProcessor(_Guarded, SqsFifoPartialProcessor):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__(skip_group_on_error=True, logger=logger)
        self.deadline = deadline
        self.stop_after_failure = False
        self.skipped = 0


def process_batch(
    kind: Kind,
    records: Sequence[dict[str, Any]],
    handle: Callable[[Any], Any],
    deadline: Deadline,
    *,
    fifo: bool = False,
) -> dict[str, Any]:
    """Run ``handle`` on each record (as a Powertools data class); return the partial reply.

    If every record failed, raise ``BatchFailedError`` instead: that retries the
    batch even where ``ReportBatchItemFailures`` was forgotten, in which case a
    reply listing failures would be taken as success and the batch deleted.
    """
    processor: BatchProcessor = (
        GuardedFifoProcessor(deadline) if fifo else GuardedBatchProcessor(kind, deadline)
    )
    try:
        with processor(records=list(records), handler=handle):
            processor.process()
    except BatchProcessingError as exc:
        raise BatchFailedError(
            f"All {len(records)} {kind.value} records failed; raising so Lambda retries the "
            f"whole batch. First error: {_first_error(exc)}"
        ) from exc
    skipped = getattr(processor, "skipped", 0)
    if skipped:
        logger.warning(
            "%d of %d %s records were not run and are reported failed for redelivery",
            skipped,
            len(records),
            kind.value,
        )
    return dict(processor.response())


def _first_error(exc: BatchProcessingError) -> str:
    for _, error, _ in exc.child_exceptions:
        if error is not None:
            return f"{type(error).__name__}: {error}"
    return "unknown"
