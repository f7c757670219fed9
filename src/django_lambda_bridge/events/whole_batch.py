"""``@events.sqs_batch`` routes: a queue's records handed over all at once.

Per-record routes run one record after another, which is right for database
work and wrong for a batch of slow HTTP calls. A batch route gets the records
of its queue as a list and says which failed, so it can overlap the slow part
(the callback example sends ten webhooks in the time of one) while its
database work stays on the invocation's one connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from django_lambda_bridge import db
from django_lambda_bridge.errors import EventError, HandlerReplyError
from django_lambda_bridge.events.routes import Route, Router
from django_lambda_bridge.kinds import Kind
from django_lambda_bridge.tasks.envelope import is_task_body

logger = logging.getLogger("django_lambda_bridge.events")


def split(
    router: Router, records: Sequence[dict[str, Any]]
) -> tuple[list[tuple[Route, list[dict[str, Any]]]], list[dict[str, Any]]]:
    """``([(batch route, its records)], the records for per-record routes)``.

    Records whose queue cannot be told, or whose routes are ambiguous, stay on
    the per-record path, which reports them failed with the reason.
    """
    if not any(route.batch for route in router.routes(Kind.SQS)):
        return [], list(records)  # the usual case: no lookups on top of the per-record ones
    groups: dict[Route, list[dict[str, Any]]] = {}
    rest: list[dict[str, Any]] = []
    for record in records:
        arn = record.get("eventSourceARN")
        route = None
        if isinstance(arn, str) and not is_task_body(record.get("body")):
            try:
                route = router.find(Kind.SQS, {"arn": arn}, f"the SQS record from queue {arn!r}")
            except EventError:
                route = None
        if route is not None and route.batch:
            groups.setdefault(route, []).append(record)
        else:
            rest.append(record)
    return list(groups.items()), rest


def run(
    route: Route, records: list[dict[str, Any]], call: Callable[[Route, Any], Any]
) -> list[str]:
    """Run one batch route; return the message ids that failed (all of them if it raised)."""
    ids = [str(r["messageId"]) for r in records]
    try:
        with db.reset_on_failure():
            reply = call(route, [SQSRecord(r) for r in records])
    except EventError as error:
        logger.error("%s failed on %d sqs records: %s", route.name, len(ids), error)
        return ids
    except Exception:
        logger.warning(
            "%s failed on %d sqs records; all reported for redelivery",
            route.name,
            len(ids),
            exc_info=True,
        )
        return ids
    return _failed_ids(route, reply, ids)


def _failed_ids(route: Route, reply: Any, ids: list[str]) -> list[str]:
    if reply is None:
        return []
    if isinstance(reply, str | bytes | Mapping) or not isinstance(reply, Iterable):
        raise HandlerReplyError(
            f"{route.describe()} on {route.name} returned a {type(reply).__name__}; it must "
            "return the failed records (SQSRecord objects or message ids), or None."
        )
    failed: set[str] = set()
    for item in reply:
        message_id = item.message_id if isinstance(item, SQSRecord) else item
        if message_id not in ids:
            raise HandlerReplyError(
                f"{route.describe()} on {route.name} reported {message_id!r} failed, which is "
                "not a message id of its batch; nothing can be retried by that name."
            )
        failed.add(message_id)
    return [i for i in ids if i in failed]
