"""Inserting a callback exactly once per ``Idempotency-Key``.

The key is unique per client in the table itself, so two concurrent requests
with one key serialise on the unique index: the second INSERT fails and that
request answers with the row the first one committed. A key reused with a
different body is refused (422) instead of silently answered.
"""

import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from callbacks import outbox
from callbacks.models import Callback, Subscription, origin_of

MAX_KEY_LENGTH = 255


class KeyReused(Exception):
    """The key names an earlier callback with a different body."""


def read_key(request):
    """The request's Idempotency-Key, or ``None`` if missing or unusable."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        return None
    return key


def fingerprint(data):
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def insert_once(owner, key, data):
    """``(callback, created)``: the new callback, or the one this key already made."""
    request_hash = fingerprint(data)
    earlier = Callback.objects.filter(owner=owner, idempotency_key=key).first()
    if earlier is None:
        try:
            with transaction.atomic():
                subscription, _ = Subscription.objects.get_or_create(
                    owner=owner, origin=origin_of(data["url"])
                )
                callback = Callback.objects.create(
                    owner=owner,
                    subscription=subscription,
                    idempotency_key=key,
                    request_hash=request_hash,
                    url=data["url"],
                    event_type=data["event_type"],
                    payload=data["payload"],
                    max_attempts=settings.CALLBACK["MAX_ATTEMPTS"],
                    next_attempt_at=timezone.now(),
                )
                # The outbox: enqueued only once the row exists for everyone.
                transaction.on_commit(lambda: outbox.after_insert(callback.pk))
            return callback, True
        except IntegrityError:
            earlier = Callback.objects.get(owner=owner, idempotency_key=key)
    if earlier.request_hash != request_hash:
        raise KeyReused(earlier)
    return earlier, False
