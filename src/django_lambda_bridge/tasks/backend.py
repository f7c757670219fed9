"""``SQSBackend``: ``enqueue()`` sends a task to SQS once the transaction commits; the
Lambda function on that queue runs it through the event router (``runner``).

What SQS cannot do is refused when the task is enqueued, inside the request
that can still report it: arguments that are not JSON, a body over the queue's
size limit, a delay past 15 minutes without EventBridge Scheduler.
"""

from __future__ import annotations

import logging
import math
import uuid
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from django_lambda_bridge.tasks import results, runner, sqs
from django_lambda_bridge.tasks.compat import (
    BaseTaskBackend,
    InvalidTask,
    TaskResult,
    TaskResultStatus,
    task_enqueued,
)
from django_lambda_bridge.tasks.envelope import Envelope, utc
from django_lambda_bridge.tasks.options import Options

logger = logging.getLogger("django_lambda_bridge.tasks")

#: Bytes kept free under the size limit, so the dead-letter copy (the same body plus its
#: reason attributes) always fits too.
DEAD_LETTER_HEADROOM = 1024


class SQSBackend(BaseTaskBackend):
    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    #: Accepted and kept, so code written for other backends runs; SQS itself has no
    #: priorities (docs/tasks.md: give urgent work a queue and a function of its own).
    supports_priority = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        raw = params.get("OPTIONS", {})
        if "QUEUES" not in params and raw.get("QUEUE_URLS"):
            self.queues = set(raw["QUEUE_URLS"])  # the mapping names the queues
        self.config = Options.load(alias, raw, self.queues)
        self._checked_app = False

    # ----- enqueue ----------------------------------------------------------------

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        self.validate_task(task)
        config = self.config
        if config.store_results and not self._checked_app:
            results.require_app(self.alias)
            self._checked_app = True
        now = timezone.now()
        try:
            result: Any = TaskResult(
                task=task,
                id=uuid.uuid4().hex,
                status=TaskResultStatus.READY,
                enqueued_at=now,
                started_at=None,
                finished_at=None,
                last_attempted_at=None,
                args=list(args),
                kwargs=dict(kwargs),
                backend=self.alias,
                errors=[],
                worker_ids=[],
            )
            envelope = Envelope(
                id=result.id,
                task=task.module_path,
                backend=self.alias,
                queue_name=task.queue_name,
                priority=task.priority,
                args=result.args,
                kwargs=result.kwargs,
                enqueued_at=now,
                run_after=task.run_after,
            )
            body = envelope.dumps()
        except (TypeError, ValueError) as exc:
            raise InvalidTask(
                f"Arguments of {task.module_path} must be JSON-serialisable (str, int, float, "
                f"bool, None, lists and dicts of them): {exc}. Pass ids, not objects."
            ) from None
        size = len(body.encode())
        if size > config.max_message_bytes - DEAD_LETTER_HEADROOM:
            raise InvalidTask(
                f"{task.module_path}'s message would be {size} bytes, over the queue's limit "
                f"of {config.max_message_bytes} (MAX_MESSAGE_BYTES) less "
                f"{DEAD_LETTER_HEADROOM} kept for the dead-letter attributes; store the data "
                "(S3, a row) and pass its key."
            )
        delay = _delay_seconds(task.run_after, now)
        if config.mode == "sqs":
            self._check_delay(task, delay)
        if config.store_results:
            results.model().objects.using(config.database).create(
                id=result.id, **results.row_fields(envelope)
            )
        send = partial(self._send, result, envelope, body, delay)
        if config.enqueue_on_commit and transaction.get_connection(config.database).in_atomic_block:
            # After commit the caller's work is done and cannot be undone, so a failed send
            # must not turn it into an error: it is logged, and the result stays READY
            # for `manage.py requeue_tasks`.
            transaction.on_commit(partial(self._send_logged, send, envelope), using=config.database)
            return result
        try:
            send()  # outside a transaction the caller sees a failed send as it happens
        except Exception:
            if config.store_results and config.mode == "sqs":  # not enqueued: keep no row
                results.model().objects.using(config.database).filter(pk=result.id).delete()
            raise
        return result

    def _send_logged(self, send: Any, envelope: Envelope) -> None:
        try:
            send()
        except Exception:
            if self.config.store_results:
                logger.exception(
                    "Task %s (%s) was committed but could not be sent; its result stays "
                    "READY until `manage.py requeue_tasks` sends it again",
                    envelope.id, envelope.task,
                )  # fmt: skip
            else:
                logger.exception(
                    "Task %s (%s) was committed but could not be sent, and is lost: with "
                    "STORE_RESULTS off there is no row to send it again from",
                    envelope.id, envelope.task,
                )  # fmt: skip

    def _check_delay(self, task: Any, delay: int) -> None:
        url = self.config.queue_urls[task.queue_name]
        if delay and url.endswith(".fifo"):
            raise InvalidTask(
                f"{task.module_path} has run_after, but queue {task.queue_name!r} is FIFO, and "
                "FIFO queues take no per-message delay. Use a standard queue for delayed tasks."
            )
        if delay > sqs.MAX_DELAY_SECONDS and not self.config.scheduler_role_arn:
            raise InvalidTask(
                f"{task.module_path}'s run_after is {delay} s away; SQS delays at most "
                f"{sqs.MAX_DELAY_SECONDS} s. Set TASKS[{self.alias!r}]['OPTIONS']"
                "['SCHEDULER_ROLE_ARN'] to a role EventBridge Scheduler can use to send to the "
                "queue, so longer delays go through a one-shot schedule."
            )

    def _send(self, result: Any, envelope: Envelope, body: str, delay: int) -> None:
        config = self.config
        if config.mode == "immediate":
            runner.run_in_process(self, envelope)
            task_enqueued.send(type(self), task_result=result)
            return
        url = config.queue_urls[envelope.queue_name]
        if delay > sqs.MAX_DELAY_SECONDS:
            at = envelope.run_after
            assert at is not None  # a delay comes from run_after
            sqs.schedule_once(
                name=f"task-{envelope.id}",
                group=config.scheduler_group,
                at=utc(at),
                queue_url=url,
                role_arn=config.scheduler_role_arn,
                body=body,
            )
        else:
            extra: dict[str, Any] = {}
            if url.endswith(".fifo"):
                extra = {"MessageGroupId": envelope.task, "MessageDeduplicationId": envelope.id}
            sqs.send(url, body, delay, **extra)
        if config.store_results:
            results.model().objects.using(config.database).filter(pk=envelope.id).update(
                sent_at=timezone.now()
            )
        task_enqueued.send(type(self), task_result=result)

    def resend(self, row: Any) -> None:
        """Send a stored task again (``requeue_tasks``), as it was enqueued."""
        envelope = results.envelope_of(row)
        delay = _delay_seconds(row.run_after, timezone.now())
        self._send(results.to_result(row), envelope, envelope.dumps(), delay)

    # ----- results ----------------------------------------------------------------

    def get_result(self, result_id: str) -> Any:
        if not self.config.store_results:
            raise NotImplementedError(
                f"TASKS[{self.alias!r}] has STORE_RESULTS = False, so results are not kept."
            )
        return results.to_result(results.read(self.config.database, result_id))

    def check(self, **kwargs: Any) -> list[Any]:
        return []  # reported once, by this package's app (tasks/checks.py)


def _delay_seconds(run_after: datetime | None, now: datetime) -> int:
    if run_after is None:
        return 0
    return max(0, math.ceil((utc(run_after) - utc(now)).total_seconds()))
