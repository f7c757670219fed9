"""The SQS message body of one enqueued task, and how a worker recognises it.

Only the body carries the task: EventBridge Scheduler (for delays past SQS's
15 minutes) can set a message's body and nothing else. The marker key comes
first, so a worker tells a task message from any other by a prefix test,
without parsing bodies that are not tasks. Standard library only: the event
router imports this on every SQS record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django_lambda_bridge.errors import MalformedEventError

MARKER = "django_lambda_bridge_task"
VERSION = 1
PREFIX = '{"' + MARKER + '":'

#: SQS's classic message size limit. Queues set to more (up to 1 MiB) can raise
#: ``MAX_MESSAGE_BYTES``; 256 KiB is what every queue and Scheduler target takes.
SQS_MAX_BYTES = 262_144


def is_task_body(body: Any) -> bool:
    return isinstance(body, str) and body.startswith(PREFIX)


@dataclass(frozen=True)
class Envelope:
    id: str
    task: str
    backend: str
    queue_name: str
    priority: int
    args: list[Any]
    kwargs: dict[str, Any]
    enqueued_at: datetime
    run_after: datetime | None

    def dumps(self) -> str:
        """The body; ``allow_nan=False`` so the worker can always read what was sent."""
        return json.dumps(
            {
                MARKER: VERSION,
                "id": self.id,
                "task": self.task,
                "backend": self.backend,
                "queue": self.queue_name,
                "priority": self.priority,
                "args": self.args,
                "kwargs": self.kwargs,
                "enqueued_at": self.enqueued_at.isoformat(),
                "run_after": self.run_after.isoformat() if self.run_after else None,
            },
            separators=(",", ":"),
            allow_nan=False,
        )


def loads(body: str) -> Envelope:
    """Parse a task body; a broken one is a ``MalformedEventError`` naming what is wrong."""
    try:
        data = json.loads(body)
    except ValueError:
        raise MalformedEventError(
            "The task message's body starts like a task but is not JSON; it was not run."
        ) from None
    if not isinstance(data, dict) or data.get(MARKER) != VERSION:
        raise MalformedEventError(
            f"The task message has {MARKER}={data.get(MARKER) if isinstance(data, dict) else '?'}"
            f"; this worker reads version {VERSION}. Deploy the same library version to "
            "the enqueuing and the working functions."
        )
    try:
        run_after = data.get("run_after")
        envelope = Envelope(
            id=_str(data, "id"),
            task=_str(data, "task"),
            backend=_str(data, "backend"),
            queue_name=_str(data, "queue"),
            priority=int(data.get("priority", 0)),
            args=list(data["args"]),
            kwargs=dict(data["kwargs"]),
            enqueued_at=datetime.fromisoformat(_str(data, "enqueued_at")),
            run_after=datetime.fromisoformat(run_after) if run_after else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedEventError(
            f"The task message is missing or has a bad field ({type(exc).__name__}: {exc}); "
            "it was not run."
        ) from None
    return envelope


def _str(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a non-empty string")
    return value


def utc(moment: datetime) -> datetime:
    """An aware UTC time; a naive one (``USE_TZ = False``) is read in ``TIME_ZONE``."""
    if moment.tzinfo is None:
        from django.utils import timezone

        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment.astimezone(UTC)
