"""The work after a submission: validate, route, deliver.

``process()`` moves a message as far as it can go and is safe to run again
for the same message, because queues deliver at least once: every step starts
from the state in the database, and the callme request carries an
idempotency key. A transient failure leaves the message where it is and
raises, so the queue retries it (and dead-letters it after the last try).
"""

import json
import logging
import uuid

from messaging import outbound
from messaging.models import ExchangeMessage
from messaging.states import IllegalTransition, State

logger = logging.getLogger("messaging.workflow")


class MalformedWorkItem(ValueError):
    """A work-queue body that names no message; it is retried, then dead-lettered."""


def parse_work_item(body):
    try:
        item = json.loads(body)
        return uuid.UUID(str(item["message_id"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedWorkItem(
            f'The work item {body[:200]!r} is not {{"message_id": "<uuid>"}}.'
        ) from exc


def after_submit(message_id):
    """Inside the submission's transaction: the work is queued when it commits.

    The task backend sends it after the commit (or, with no queue, runs it in
    process then). If that send fails, the row stays 'received' and
    `manage.py process_messages` picks it up; the partner already has its 201.
    """
    from messaging.tasks import process_message

    process_message.enqueue(str(message_id))


def process(message_id):
    message = ExchangeMessage.objects.select_related("sender", "recipient").get(pk=message_id)
    while message.state not in _STOP:
        step = _STEPS[State(message.state)]
        before = message.state
        try:
            step(message)
        except IllegalTransition as exc:
            # Someone else moved it first (a duplicate delivery, or the partner).
            message.state = exc.current
        if message.state == before:
            break
    return message


def _validate(message):
    problems = []
    if not message.sender.is_active:
        problems.append("the sender is inactive")
    if not message.payload:
        problems.append("the payload is empty")
    if problems:
        message.transition(State.REJECTED, reason="; ".join(problems))
    else:
        message.transition(State.VALIDATED, reason="payload accepted")


def _route(message):
    recipient = message.recipient
    if not recipient.is_active:
        message.transition(State.FAILED, reason=f"recipient {recipient.name} is inactive")
    elif not recipient.webhook_url:
        message.transition(State.FAILED, reason=f"recipient {recipient.name} has no webhook URL")
    else:
        message.transition(State.ROUTED, reason=f"to {recipient.name}")


def _deliver(message):
    try:
        callback_id = outbound.request_callback(message)
    except outbound.PermanentError as exc:
        message.transition(State.FAILED, reason=str(exc))
        return
    outbound.publish_delivered(message)
    reason = f"callback {callback_id}" if callback_id else "callback requested"
    message.transition(State.DELIVERED, reason=reason)


_STEPS = {State.RECEIVED: _validate, State.VALIDATED: _route, State.ROUTED: _deliver}
_STOP = frozenset(State) - frozenset(_STEPS)
