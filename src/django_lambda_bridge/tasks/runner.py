"""Running a task message: the worker half of ``SQSBackend``.

The event router hands every SQS record whose body is a task here, on any
queue and before any ``@events.sqs`` route, so the function that consumes a
task queue needs no route of its own. A record runs with the router's batch
rules (partial failures, the deadline margin, database hygiene).

A failed task is retried with exponential backoff: the message is hidden for
the backoff (``ChangeMessageVisibility``) and reported failed, so it never
leaves the queue while retries remain. After ``MAX_ATTEMPTS`` it is copied to
the dead-letter queue and its result marked FAILED. Anything that stops a
task from running at all (a function that does not know the backend or the
task) raises instead, so the queue's own redrive policy dead-letters it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import traceback
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.crypto import get_random_string

from django_lambda_bridge import db
from django_lambda_bridge.errors import EventError
from django_lambda_bridge.tasks import results, sqs
from django_lambda_bridge.tasks.compat import (
    TaskContext,
    TaskError,
    TaskResult,
    TaskResultStatus,
    normalize_json,
    task_backends,
    task_finished,
    task_started,
)
from django_lambda_bridge.tasks.envelope import Envelope, loads, utc
from django_lambda_bridge.tasks.options import MAX_VISIBILITY_SECONDS

logger = logging.getLogger("django_lambda_bridge.tasks")

#: An attempt's worker id: the execution environment, as its log stream names it.
WORKER_ID = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME") or f"process-{get_random_string(12)}"
#: A task that arrives this much before its run_after (Scheduler fires within a minute)
#: is sent back to the queue for the rest.
EARLY_TOLERANCE_SECONDS = 1


class TaskNotRunnableError(EventError):
    """This function cannot run the task; the message stays for redrive."""


class TaskRetry(EventError):
    """The task failed and will run again after the backoff."""


@dataclass(frozen=True)
class Outcome:
    status: str
    attempt: int
    error: BaseException | None = None


def run_record(record: Any, lambda_context: Any = None) -> None:
    """The route the router uses for task messages (``record`` is Powertools' SQSRecord)."""
    envelope = loads(record.body)
    backend = backend_for(envelope)
    if envelope.run_after is not None:
        early = (utc(envelope.run_after) - utc(timezone.now())).total_seconds()
        if early > EARLY_TOLERANCE_SECONDS:
            hold = min(sqs.MAX_DELAY_SECONDS, math.ceil(early))
            sqs.send(_queue_url(record), record.body, hold)
            logger.info("Task %s arrived %.0f s early; back on the queue for %d s",
                        envelope.id, early, hold)  # fmt: skip
            return
    config = backend.config
    row = None
    if config.store_results:
        row = results.model().objects.using(config.database).filter(pk=envelope.id).first()
    spent = _exhausted(config, row)
    if spent is not None:  # its last attempt failed, but the dead-letter copy was not made
        dead_letter(backend, envelope, record, *spent, _queue_url(record))
        return
    outcome = execute(backend, envelope, _receive_count(record), row=row)
    if outcome.error is None:
        return  # succeeded (now or before): the message is done
    url = _queue_url(record)  # only looked up (and cached) when a retry needs it
    attempt = outcome.attempt
    if attempt < config.max_attempts:
        wait = backoff_seconds(attempt, config.backoff_base_seconds, config.backoff_max_seconds)
        sqs.retry_later(url, record.receipt_handle, wait)
        raise TaskRetry(
            f"task {envelope.task} ({envelope.id}) failed on attempt {attempt} of "
            f"{config.max_attempts}: {type(outcome.error).__name__}; runs again in {wait} s"
        )
    dead_letter(backend, envelope, record, attempt, type(outcome.error).__name__, url)


def _exhausted(config: Any, row: Any) -> tuple[int, str] | None:
    """``(attempts, error class)`` of a task that failed its last attempt already."""
    if row is None or row.status != TaskResultStatus.FAILED:
        return None
    if len(row.worker_ids) < config.max_attempts:
        return None
    last = row.errors[-1]["exception_class_path"] if row.errors else "?"
    return len(row.worker_ids), last.rsplit(".", 1)[-1]


def execute(
    backend: Any, envelope: Envelope, attempt: int, *, final: bool = False, row: Any = None
) -> Outcome:
    """Run the task once and record it; ``READY`` means it failed and may run again.

    The attempt number is the count of runs in the result row, so receives that never
    ran the task (deadline skips, FIFO group holds) do not use up attempts; without
    stored results it is the message's receive count.
    """
    config = backend.config
    try:
        task = results.load_task(envelope.task)
    except ValueError as exc:
        raise TaskNotRunnableError(
            f"This function cannot run task {envelope.id}: {exc}. Deploy the code that "
            "enqueues it to the function on this queue; the message is left for the "
            "queue's redrive policy."
        ) from None
    row = _claim(config, envelope, row) if config.store_results else None
    if row is False:
        logger.info("Task %s (%s) already succeeded; duplicate delivery ignored",
                    envelope.id, envelope.task)  # fmt: skip
        return Outcome(TaskResultStatus.SUCCESSFUL, attempt)
    if row:
        attempt = len(row.worker_ids)
    result = results.to_result(row, task) if row else _result_without_row(task, envelope)
    task_started.send(sender=type(backend), task_result=result)
    try:
        if task.takes_context:
            value = task.call(TaskContext(task_result=result), *envelope.args, **envelope.kwargs)
        else:
            value = task.call(*envelope.args, **envelope.kwargs)
        value = normalize_json(value)
        json.dumps(value, allow_nan=False)
    except Exception as exc:
        db.reset_after_failure()  # the bookkeeping below needs a clean connection
        last = final or attempt >= config.max_attempts
        status = TaskResultStatus.FAILED if last else TaskResultStatus.READY
        entry = results.error_entry(exc, "".join(traceback.format_exception(exc)))
        _record(config, envelope, result, status, error=entry)
        task_finished.send(type(backend), task_result=result)
        return Outcome(status, attempt, exc)
    _record(config, envelope, result, TaskResultStatus.SUCCESSFUL, value=value)
    task_finished.send(type(backend), task_result=result)
    return Outcome(TaskResultStatus.SUCCESSFUL, attempt)


def run_in_process(backend: Any, envelope: Envelope) -> None:
    """``MODE = "immediate"``: one attempt now, in this process; a failure is recorded."""
    outcome = execute(backend, envelope, 1, final=True)
    if outcome.error is not None:
        logger.error("Task %s (%s) failed in-process: %s", envelope.id, envelope.task,
                     type(outcome.error).__name__)  # fmt: skip


def backoff_seconds(attempt: int, base: int, cap: int) -> int:
    """Exponential with jitter in its upper half, so retries neither bunch nor vanish."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return int(random.uniform(ceiling / 2, ceiling))


def backend_for(envelope: Envelope) -> Any:
    from django_lambda_bridge.tasks.backend import SQSBackend

    try:
        backend = task_backends()[envelope.backend]
    except Exception:
        backend = None
    if not isinstance(backend, SQSBackend):
        raise TaskNotRunnableError(
            f"Task {envelope.id} ({envelope.task}) names task backend {envelope.backend!r}, "
            "which is not an SQSBackend in this function's TASKS setting; nothing ran and "
            "the message is left for the queue's redrive policy."
        )
    return backend


def dead_letter(
    backend: Any,
    envelope: Envelope,
    record: Any,
    attempt: int,
    error: str,
    url: str,
) -> None:
    """Copy the message to the dead-letter queue; without one, leave it in its queue."""
    config = backend.config
    target = config.dead_letter_queue_url or sqs.dead_letter_url(url)
    if not target:
        wait = MAX_VISIBILITY_SECONDS
        sqs.retry_later(url, record.receipt_handle, wait)
        raise TaskRetry(
            f"task {envelope.task} ({envelope.id}) failed its last attempt and its queue has "
            "no dead-letter queue (no redrive policy, no DEAD_LETTER_QUEUE_URL); it stays "
            f"in the queue, next try in {wait} s."
        )
    attributes = {
        "task_id": {"DataType": "String", "StringValue": envelope.id},
        "task": {"DataType": "String", "StringValue": envelope.task},
        "attempts": {"DataType": "Number", "StringValue": str(attempt)},
        "error": {"DataType": "String", "StringValue": error},
    }
    extra: dict[str, Any] = {"MessageAttributes": attributes}
    if target.endswith(".fifo"):
        extra |= {"MessageGroupId": envelope.task, "MessageDeduplicationId": envelope.id}
    sqs.send(target, record.body, 0, **extra)
    logger.error("Task %s (%s) failed all %d attempts; dead-lettered", envelope.id,
                 envelope.task, attempt)  # fmt: skip


def _claim(config: Any, envelope: Envelope, row: Any) -> Any:
    """The row marked RUNNING for this attempt; ``False`` if the task already succeeded.

    ``row`` is the row as the caller read it, if it did. A missing row (results pruned,
    or written by a function with STORE_RESULTS off) is made from the message, so the
    outcome is still recorded.
    """
    manager = results.model().objects.using(config.database)
    if row is None:
        row, _ = manager.get_or_create(pk=envelope.id, defaults=results.row_fields(envelope))
    if row.status == TaskResultStatus.SUCCESSFUL:
        return False
    now = timezone.now()
    row.status = TaskResultStatus.RUNNING
    row.started_at = row.started_at or now
    row.last_attempted_at = now
    row.worker_ids = [*row.worker_ids, WORKER_ID]
    claimed = (
        manager.filter(pk=row.pk)
        .exclude(status=TaskResultStatus.SUCCESSFUL)
        .update(
            status=row.status,
            started_at=row.started_at,
            last_attempted_at=now,
            worker_ids=row.worker_ids,
        )
    )
    return row if claimed else False


def _record(
    config: Any,
    envelope: Envelope,
    result: Any,
    status: str,
    *,
    value: Any = None,
    error: dict[str, str] | None = None,
) -> None:
    """Write the attempt's outcome to the row and to the ``TaskResult`` signals receive."""
    now = timezone.now()
    errors = [*_errors_of(result), *([error] if error else [])]
    finished = now if status != TaskResultStatus.READY else None
    if config.store_results:
        results.model().objects.using(config.database).filter(pk=envelope.id).update(
            status=status, return_value=value, errors=errors, finished_at=finished
        )
    if error:
        result.errors.append(TaskError(**error))
    object.__setattr__(result, "status", TaskResultStatus(status))
    object.__setattr__(result, "finished_at", finished)
    if status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", value)


def _errors_of(result: Any) -> list[dict[str, str]]:
    return [
        {"exception_class_path": e.exception_class_path, "traceback": e.traceback}
        for e in result.errors
    ]


def _result_without_row(task: Any, envelope: Envelope) -> Any:
    now = timezone.now()
    return TaskResult(
        task=task,
        id=envelope.id,
        status=TaskResultStatus.RUNNING,
        enqueued_at=envelope.enqueued_at,
        started_at=now,
        finished_at=None,
        last_attempted_at=now,
        args=envelope.args,
        kwargs=envelope.kwargs,
        backend=envelope.backend,
        errors=[],
        worker_ids=[WORKER_ID],
    )


def _receive_count(record: Any) -> int:
    raw = getattr(record, "raw_event", record)
    attributes = raw.get("attributes") if isinstance(raw, dict) else None
    try:
        return max(1, int((attributes or {}).get("ApproximateReceiveCount", 1)))
    except (TypeError, ValueError):
        return 1


def _queue_url(record: Any) -> str:
    return sqs.queue_url_for_arn(record.event_source_arn)
