"""Shared helpers for tests/test_http_*.py: drive the real handler, and bare apig-wsgi.

Each module builds its handler once, in a module-scoped fixture (``make_handler``
is cheap once Django is set up). Every HTTP test sends a real event shape
(``django_lambda_bridge.testing.events``) through ``LambdaHandler`` and reads the
reply back with ``decode_reply``. Where a
test proves a gap, it sends the same event through ``apig_wsgi.make_lambda_handler``
around the same Django ``WSGIHandler``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apig_wsgi import make_lambda_handler as apig_make_lambda_handler
from django.core.handlers.wsgi import WSGIHandler

from django_lambda_bridge.handler import make_handler
from django_lambda_bridge.testing import DecodedReply, FakeContext, decode_reply
from django_lambda_bridge.testing.client import lambda_request_scope
from django_lambda_bridge.testing.events import FORMATS, http_event

__all__ = [
    "ALL_FORMATS",
    "SAMPLES_DIR",
    "DecodedReply",
    "FakeContext",
    "bare_apig_handler",
    "call",
    "echo",
    "http_event",
    "keep_db_connections",
    "make_handler",
    "reply_shape_ok",
]

ALL_FORMATS = FORMATS  # v1, v2, function-url, alb, alb-multi
#: ``$AWS_EVENT_SAMPLES``, else ``shared/aws-event-samples`` beside the checkout or a parent
#: of it (a worktree may sit deeper).
SAMPLES_DIR = Path(
    os.environ.get("AWS_EVENT_SAMPLES")
    or next(
        (
            parent / "shared" / "aws-event-samples"
            for parent in Path(__file__).resolve().parents
            if (parent / "shared" / "aws-event-samples").is_dir()
        ),
        Path(__file__).resolve().parent.parent.parent / "shared" / "aws-event-samples",
    )
)


@pytest.fixture(autouse=True)
def keep_db_connections() -> Iterator[None]:
    """Stop Django closing "old" DB connections around each request, as its test client does.

    Under pytest-django a test's connection sits inside a transaction that is
    rolled back afterwards; closing it mid-test would lose the test's data (and
    touching it at all needs the ``django_db`` mark, even for views that never
    query). Import this fixture into a test module to apply it there.
    """
    with lambda_request_scope():
        yield


def bare_apig_handler() -> Any:
    """apig-wsgi alone around the same Django app: the baseline our fixes improve on.

    Its replies are decoded without the format check (its ALB replies lack
    ``statusDescription``).
    """
    bare = apig_make_lambda_handler(WSGIHandler())

    def unchecked(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        reply: dict[str, Any] = bare(event, context)
        reply.setdefault("_bare", True)
        return reply

    return unchecked


def call(
    handler: Any, event: dict[str, Any], context: Any = None, *, check: bool = True
) -> DecodedReply:
    """Invoke ``handler`` and decode its reply; ``check`` that it fits the event's format."""
    reply = handler(event, context or FakeContext())
    if check:
        assert reply_shape_ok(reply, event), reply
    return decode_reply(reply)


def echo(handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Call the ``echo`` view and return what Django saw."""
    reply = call(handler, event)
    assert reply.status == 200, reply
    data: dict[str, Any] = json.loads(reply.body)
    return data


def reply_shape_ok(reply: Any, event: dict[str, Any]) -> bool:
    """Is ``reply`` what the event's source accepts, in its format?"""
    if not isinstance(reply, dict) or not isinstance(reply.get("statusCode"), int):
        return False
    if reply.get("_bare"):
        return True
    if not isinstance(reply.get("body"), str) or not isinstance(reply.get("isBase64Encoded"), bool):
        return False
    context = event.get("requestContext") if isinstance(event, dict) else None
    is_alb = isinstance(context, dict) and "elb" in context
    is_lattice = (
        "raw_path" in event
        or (isinstance(context, dict) and "serviceNetworkArn" in context)
        or (event.get("version") == "2.0" and "method" in event and "rawPath" not in event)
    )
    is_v2 = event.get("version") == "2.0"
    if is_lattice:
        if not isinstance(reply.get("statusDescription"), str):
            return False
        if set(reply) != {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"}:
            return False
    elif is_alb:
        if not isinstance(reply.get("statusDescription"), str):
            return False
        key = "multiValueHeaders" if "multiValueHeaders" in event else "headers"
        if set(reply) != {"statusCode", "statusDescription", key, "body", "isBase64Encoded"}:
            return False
    elif is_v2:
        if set(reply) != {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}:
            return False
        if not all(isinstance(c, str) for c in reply["cookies"]):
            return False
    elif set(reply) != {"statusCode", "multiValueHeaders", "body", "isBase64Encoded"}:
        return False
    if "headers" in reply:
        return all(isinstance(k, str) and isinstance(v, str) for k, v in reply["headers"].items())
    return all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in reply["multiValueHeaders"].items()
    )
