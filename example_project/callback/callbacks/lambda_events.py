"""The callback service's events: the sender's queue batches and the sweeper's schedule."""

from django.conf import settings

from callbacks import sender, sweeper
from django_lambda_bridge import events


def _queue_name():
    url = settings.CALLBACK["QUEUE_URL"]
    return url.rstrip("/").rsplit("/", 1)[-1] if url else None


# Not atomic: each callback commits on its own, and follow-up messages go after each commit.
@events.sqs_batch(queue=_queue_name(), atomic=False)
def send_callbacks(records, lambda_context):
    return sender.handle_batch(records, lambda_context)


@events.schedule(settings.CALLBACK["SWEEP_SCHEDULE"])
def sweep(event):
    return sweeper.sweep()
