"""Everything the exchange sends out: the callme request and domain events.

boto3 reads its endpoint and region from the environment (``AWS_ENDPOINT_URL``
points it at a local moto server), so the code is the same locally and on AWS.
Clients are made on first use: a request that sends nothing imports nothing.
"""

import functools
import json
import logging

import requests
from django.conf import settings

logger = logging.getLogger("messaging.outbound")

#: Statuses that mean "try again later" rather than "this will never work".
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


class TransientError(Exception):
    """The other side may accept the same request later: leave the message for a retry."""


class PermanentError(Exception):
    """The other side refused the request for good: the message fails."""


@functools.cache
def _client(service):
    import boto3

    return boto3.client(service)


def request_callback(message):
    """Ask the callme service to call the recipient back about ``message``.

    The message id is the Idempotency-Key, so a retried delivery never makes a
    second callback.
    """
    config = settings.EXCHANGE
    if not config["CALLME_URL"]:
        logger.info("callback skipped for %s: EXCHANGE_CALLME_URL is not set", message.id)
        return None
    body = {
        "url": message.recipient.webhook_url,
        "event_type": "exchange.message.delivered",
        "payload": {
            "message_id": str(message.id),
            "sender": message.sender.name,
            "recipient": message.recipient.name,
            "type": message.type,
            "correlation_id": message.correlation_id,
        },
    }
    headers = {"Idempotency-Key": f"exchange-{message.id}"}
    if config["CALLME_TOKEN"]:
        headers["Authorization"] = f"Token {config['CALLME_TOKEN']}"
    timeout = config["CALLME_TIMEOUT_SECONDS"]
    try:
        reply = requests.post(
            config["CALLME_URL"], json=body, headers=headers, timeout=(min(timeout, 3.0), timeout)
        )
    except requests.RequestException as exc:
        raise TransientError(f"callme unreachable: {type(exc).__name__}") from exc
    if reply.status_code >= 500 or reply.status_code in RETRYABLE_STATUSES:
        raise TransientError(f"callme answered {reply.status_code}")
    if reply.status_code >= 400:
        raise PermanentError(f"callme refused the callback: {reply.status_code}")
    try:
        return reply.json().get("id")
    except (ValueError, AttributeError):
        return None


def publish_delivered(message):
    """Tell the rest of the system, through EventBridge, that ``message`` was delivered."""
    detail = {
        "message_id": str(message.id),
        "sender": message.sender.name,
        "recipient": message.recipient.name,
        "type": message.type,
        "correlation_id": message.correlation_id,
    }
    config = settings.EXCHANGE
    if not config["EVENT_BUS_NAME"]:
        logger.info("MessageDelivered %s", json.dumps(detail, sort_keys=True))
        return
    reply = _client("events").put_events(
        Entries=[
            {
                "EventBusName": config["EVENT_BUS_NAME"],
                "Source": config["EVENT_SOURCE"],
                "DetailType": "MessageDelivered",
                "Detail": json.dumps(detail),
            }
        ]
    )
    if reply.get("FailedEntryCount"):
        raise TransientError(f"EventBridge refused MessageDelivered: {reply['Entries']}")
