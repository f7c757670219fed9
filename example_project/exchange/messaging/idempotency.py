"""Idempotent submissions: the same ``Idempotency-Key`` gets the same reply, once.

The first request with a key inserts an ``IdempotencyRecord`` in the same
transaction as the message. The unique constraint on (sender, key) serialises
concurrent retries: the second INSERT waits for the first transaction, then
fails, and the second request replays the committed reply. A key reused with
a different body is refused (422) rather than silently answered.
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from messaging.models import IdempotencyRecord
from messaging.problems import Problem

MAX_KEY_LENGTH = 255


def read_key(request):
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "invalid-idempotency-key",
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters.",
        )
    return key


def fingerprint(data):
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(record, request_hash):
    if record.request_hash != request_hash:
        raise Problem(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was already used with a different request body.",
        )
    return Response(record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"})


def run_once(sender, key, data, create):
    """Return ``create()``'s (status, body), or the stored reply of an earlier run.

    ``create`` runs inside the transaction that stores the record; it returns
    ``(status, body, message)``.
    """
    request_hash = fingerprint(data)
    if key is None:
        with transaction.atomic():
            status, body, _message = create()
        return Response(body, status=status)
    earlier = IdempotencyRecord.objects.filter(sender=sender, key=key).first()
    if earlier is not None:
        return replay(earlier, request_hash)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                sender=sender, key=key, request_hash=request_hash, status_code=0, body={}
            )
            status, body, message = create()
            record.status_code, record.body, record.message = status, body, message
            record.save(update_fields=["status_code", "body", "message"])
    except IntegrityError:
        # A concurrent request with this key committed first: answer as it did.
        return replay(IdempotencyRecord.objects.get(sender=sender, key=key), request_hash)
    return Response(body, status=status)
