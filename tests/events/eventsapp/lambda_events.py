"""Routes found by autodiscovery; the tests drive them through the real handler.

Every SQS body is a small command, ``{"op": ..., "name": ...}``, so one handler
can succeed, fail, write, or break its connection on demand.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

from django_lambda_bridge import events
from tests.events.eventsapp.models import Delivery

#: (route, value) for every call that ran to completion, in order.
CALLS: list[tuple[str, Any]] = []
PG = "postgres"


class Boom(Exception):
    pass


def perform(route: str, command: Any) -> Any:
    if not isinstance(command, dict):
        CALLS.append((route, command))
        return command
    op, name = command.get("op", "ok"), command.get("name", "")
    if op == "fail":
        raise Boom(f"asked to fail: {name}")
    if op == "write":
        Delivery.objects.using(PG).create(name=name)
    elif op == "write-then-fail":
        Delivery.objects.using(PG).create(name=name)
        raise Boom(f"failed after writing {name}")
    elif op == "poison":
        # Leave the session inside a failed transaction, behind Django's back.
        with connections[PG].cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT 1 / 0")
    elif op == "count":
        name = Delivery.objects.using(PG).count()
    elif op == "pid":  # which server connection this record ran on
        with connections[PG].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            name = cursor.fetchone()[0]
    CALLS.append((route, name))
    return name


@events.sqs(queue="eventsapp-jobs")
def job(record: Any) -> None:
    perform("sqs", record.json_body)


@events.sqs(queue="eventsapp-atomic-jobs", atomic=True, using=PG)
def atomic_job(record: Any) -> None:
    perform("sqs-atomic", record.json_body)


@events.sqs(queue="eventsapp-fifo.fifo")
def fifo_job(record: Any) -> None:
    perform("fifo", record.json_body)


@events.sns(topic="eventsapp-topic")
def notification(record: Any) -> None:
    perform("sns", record.sns.message)


@events.s3(bucket="eventsapp-bucket", prefix="incoming/")
def upload(record: Any) -> None:
    perform("s3", record.s3.get_object.key)


@events.eventbridge(source="eventsapp.exchange", detail_type="MessageDelivered")
def delivered(event: Any) -> str:
    CALLS.append(("eventbridge", dict(event.detail)))
    return "delivered"


@events.schedule("eventsapp-sweep")
def sweep(event: Any) -> str:
    perform("schedule", event.resources[0])
    return "swept"


@events.invoke("eventsapp-reindex")
def reindex(payload: Any) -> dict[str, Any]:
    CALLS.append(("invoke", payload))
    return {"reindexed": payload}


@events.dynamodb(table="eventsapp-orders")
def order_changed(record: Any) -> None:
    perform("dynamodb", record.dynamodb.keys)


@events.kinesis(stream="eventsapp-clicks")
def click(record: Any) -> None:
    perform("kinesis", record.kinesis.data_as_json())


@events.cloudwatch_logs(log_group="/eventsapp/worker")
def logs(event: Any) -> None:
    perform("logs", [e.message for e in event.parse_logs_data().log_events])


@events.websocket("$connect")
def ws_connect(event: Any) -> int:
    CALLS.append(("ws-connect", event.connection_id))
    return 200 if event.query_string_parameters.get("token") == "let-me-in" else 401


@events.websocket("sendmessage")
def ws_message(event: Any) -> dict[str, Any]:
    CALLS.append(("ws-message", event.json_body))
    return {"statusCode": 200, "body": "got it"}


@events.kinesis_window(stream="eventsapp-clicks")
def click_window(window: Any) -> dict[str, Any]:
    state = dict(window.state)
    state["clicks"] = state.get("clicks", 0) + len(window.records)
    CALLS.append(("kinesis-window", state["clicks"]))
    return state
