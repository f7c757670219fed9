"""The sweeper: find callbacks whose message went missing, and send them on again.

Messages go missing when the process dies between the insert's commit and the
enqueue, when an enqueue fails, or when a sender dies holding a lease. The row
still says what should happen, so on a schedule the sweeper re-enqueues:

- ``pending`` rows more than ``SWEEP_AFTER_SECONDS`` past due (a live message
  would have been taken by then);
- ``delivering`` rows whose lease has expired;
- ``dead`` rows whose DLQ copy was not sent (the DLQ was unreachable).

Re-enqueueing is always safe: the message names the attempt, and the claim
lets only one message per attempt through. With no queue configured, the
sweeper is how retries happen locally: it attempts every due row in process.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from callbacks import outbox, sender
from callbacks.models import Callback, State

logger = logging.getLogger("callbacks.sweeper")


def stuck(now=None):
    config = settings.CALLBACK
    now = now or timezone.now()
    grace = timedelta(seconds=config["SWEEP_AFTER_SECONDS"] if outbox.queue_configured() else 0)
    return (
        Callback.objects.filter(
            Q(state=State.PENDING, next_attempt_at__lte=now - grace)
            | Q(state=State.DELIVERING, lease_expires_at__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", "attempt_count")[: config["SWEEP_LIMIT"]]
    )


def unlettered(now=None):
    """Dead callbacks whose DLQ copy is missing, once they have been dead a while."""
    config = settings.CALLBACK
    now = now or timezone.now()
    if not config["DLQ_URL"]:
        return Callback.objects.none()
    return Callback.objects.filter(
        state=State.DEAD,
        dead_lettered_at__isnull=True,
        updated_at__lte=now - timedelta(seconds=config["SWEEP_AFTER_SECONDS"]),
    ).values_list("pk", "attempt_count", "last_error")[: config["SWEEP_LIMIT"]]


def sweep(now=None):
    """Re-enqueue (or, with no queue, attempt) every stuck callback; a summary."""
    for pk, count, error in unlettered(now):
        sender.dead_letter(pk, count, error)  # a DLQ copy that failed before
    rows = list(stuck(now))
    if not outbox.queue_configured():
        results = sender.deliver_now([(pk, count + 1) for pk, count in rows])
        summary = {"found": len(rows), "attempted": sum(ok for _, ok in results)}
    else:
        enqueued = 0
        for pk, count in rows:
            try:
                outbox.enqueue(pk, count + 1)
                enqueued += 1
            except Exception:
                logger.exception("could not re-enqueue callback %s", pk)
        summary = {"found": len(rows), "enqueued": enqueued}
    if rows:
        logger.info("sweeper: %s", summary)
    return summary
