"""The exchange worker's events: one work-queue message is one message to process."""

from django.conf import settings

from django_lambda_bridge import events
from messaging import workflow


def _queue_name():
    url = settings.EXCHANGE["WORK_QUEUE_URL"]
    return url.rstrip("/").rsplit("/", 1)[-1] if url else None


@events.sqs(queue=_queue_name())
def process_message(record):
    workflow.process(workflow.parse_work_item(record.body))
