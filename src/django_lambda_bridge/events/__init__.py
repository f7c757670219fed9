"""Non-HTTP events: decorators that route SQS, SNS, S3, EventBridge, schedules,
streams (also in tumbling windows), CloudWatch Logs, WebSocket API events and direct
invocations to plain functions.

Declare handlers in a ``lambda_events.py`` module of any installed app; they
are found at startup the way the admin finds ``admin.py``::

    from django_lambda_bridge import events

    @events.sqs(queue="callbacks")
    def deliver(record): ...

Importing this package is cheap (no Powertools, no boto3): the dispatch
machinery loads on the first non-HTTP event.
"""

from __future__ import annotations

from django_lambda_bridge.events.routes import Route, Router

__all__ = [
    "Route",
    "Router",
    "autodiscover",
    "cloudwatch_logs",
    "dynamodb",
    "dynamodb_window",
    "eventbridge",
    "invoke",
    "kinesis",
    "kinesis_window",
    "router",
    "s3",
    "schedule",
    "sns",
    "sqs",
    "sqs_batch",
    "websocket",
]

#: The project's routes: what ``lambda_events.py`` modules declare and the handler serves.
router = Router()

sqs = router.sqs
sqs_batch = router.sqs_batch
sns = router.sns
s3 = router.s3
eventbridge = router.eventbridge
schedule = router.schedule
dynamodb = router.dynamodb
kinesis = router.kinesis
cloudwatch_logs = router.cloudwatch_logs
invoke = router.invoke
websocket = router.websocket
kinesis_window = router.kinesis_window
dynamodb_window = router.dynamodb_window


def autodiscover() -> None:
    """Import every installed app's ``lambda_events`` module, registering its routes."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("lambda_events")
