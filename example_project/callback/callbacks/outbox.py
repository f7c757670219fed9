"""Getting a callback row onto the queue: after commit, with a delay, or into the DLQ.

A queue message only names a callback and the attempt it is for
(``{"callback_id": ..., "attempt": n}``); everything else is read from the row.
So a message that comes twice, or after its attempt was made, changes nothing.
SQS caps a message's delay at 15 minutes: a longer wait is sent as 15 minutes,
and the sender sends it on again until the row is due.

boto3 reads its endpoint and region from the environment (``AWS_ENDPOINT_URL``
points it at a local moto server); the client is made on first use.
"""

import functools
import json
import logging
import uuid

from django.conf import settings

logger = logging.getLogger("callbacks.outbox")

#: SQS's longest DelaySeconds.
MAX_DELAY_SECONDS = 900


class MalformedMessage(ValueError):
    """A queue body that names no callback; retried, then dead-lettered by the redrive policy."""


@functools.cache
def _sqs():
    import boto3

    return boto3.client("sqs")


def queue_configured():
    return bool(settings.CALLBACK["QUEUE_URL"])


def message_body(callback_id, attempt):
    return json.dumps({"callback_id": str(callback_id), "attempt": int(attempt)})


def parse(body):
    """``(callback_id, attempt)`` from a message body."""
    try:
        item = json.loads(body)
        attempt = item["attempt"]
        if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
            raise ValueError("attempt")
        return uuid.UUID(str(item["callback_id"])), attempt
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedMessage(
            f'The queue body {str(body)[:200]!r} is not {{"callback_id": "<uuid>", '
            '"attempt": <n>}.'
        ) from exc


def enqueue(callback_id, attempt, delay_seconds=0):
    """Send the message for ``attempt``; waits over 15 minutes are sent on later."""
    delay = max(0, min(MAX_DELAY_SECONDS, int(delay_seconds + 0.999)))
    _sqs().send_message(
        QueueUrl=settings.CALLBACK["QUEUE_URL"],
        MessageBody=message_body(callback_id, attempt),
        DelaySeconds=delay,
    )


def dead_letter(callback_id, attempt, reason):
    """Put a dead callback's message in the DLQ, where operators look for failures."""
    url = settings.CALLBACK["DLQ_URL"]
    if not url:
        logger.warning("callback %s is dead (%s); CALLBACK_DLQ_URL is not set", callback_id, reason)
        return
    _sqs().send_message(
        QueueUrl=url,
        MessageBody=message_body(callback_id, attempt),
        MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:256] or "-"}},
    )


def after_insert(callback_id):
    """Called once the insert has committed: enqueue it, or (no queue) attempt it now."""
    if queue_configured():
        try:
            enqueue(callback_id, 1)
        except Exception:
            # The row is committed and pending: the sweeper enqueues it again.
            logger.exception("could not enqueue callback %s; the sweeper will", callback_id)
        return
    from callbacks import sender

    try:
        sender.deliver_now([(callback_id, 1)])
    except Exception:
        logger.exception("in-process attempt of %s failed; the sweeper retries it", callback_id)
