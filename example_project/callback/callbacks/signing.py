"""Standard Webhooks signatures (https://www.standardwebhooks.com/), by the reference package."""

from standardwebhooks.webhooks import Webhook


def headers(secret, webhook_id, timestamp, body):
    """The three signature headers for one attempt; the id stays, the timestamp moves."""
    signature = Webhook(secret).sign(webhook_id, timestamp, body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
