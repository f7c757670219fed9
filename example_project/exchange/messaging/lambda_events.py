"""The exchange worker's events.

Work now arrives as ``messaging.tasks.process_message`` tasks, which the task
backend runs without a route. This route keeps serving the older work-item
bodies, ``{"message_id": ...}``, that may still sit in the queue at cutover.
"""

from django.conf import settings

from django_lambda_bridge import events
from messaging import workflow


def _queue_name():
    url = settings.EXCHANGE["WORK_QUEUE_URL"]
    return url.rstrip("/").rsplit("/", 1)[-1] if url else None


@events.sqs(queue=_queue_name())
def process_message(record):
    workflow.process(workflow.parse_work_item(record.body))
