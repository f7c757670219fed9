"""The callback table (the outbox), its audit trail, signing secrets and breaker state.

The row is the source of truth: a callback exists once its insert commits, and
every later step reads and moves it with conditional updates, so queues may
deliver its message twice, late or never (the sweeper repairs "never").
"""

import base64
import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q


class State(models.TextChoices):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    DEAD = "dead"


class Outcome(models.TextChoices):
    DELIVERED = "delivered"  # 2xx
    RETRY = "retry"  # 5xx, 408, 409, 429, timeout, connection error: tried again later
    FAILED = "failed"  # the last retryable failure, or a permanent one: the callback is dead
    SUPERSEDED = "superseded"  # sent after our lease ran out; another worker owns the callback


def new_secret():
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def origin_of(url):
    """``scheme://host:port``: whom a breaker or a signing secret belongs to."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class Subscription(models.Model):
    """One client's receiver at one origin, and the secret its webhooks are signed with."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    origin = models.CharField(max_length=300)
    secret = models.CharField(max_length=100, default=new_secret)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "origin"], name="one_secret_per_origin")
        ]

    def __str__(self):
        return f"{self.owner} → {self.origin}"


class Target(models.Model):
    """Circuit-breaker state of one origin, shared by every concurrent sender."""

    origin = models.CharField(max_length=300, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.origin


class Callback(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="callbacks"
    )
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT)
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    url = models.URLField(max_length=2048)
    event_type = models.CharField(max_length=200, db_index=True)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    next_attempt_at = models.DateTimeField()
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    #: When a dead callback's message reached the DLQ; the sweeper retries while it is empty.
    dead_lettered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "idempotency_key"], name="one_key_per_owner")
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="callback_due"),
            models.Index(fields=["owner", "-created_at"], name="callback_owner_recent"),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.url} ({self.state})"

    @property
    def webhook_id(self):
        """The ``webhook-id`` header: the same on every attempt, so receivers can dedupe."""
        return f"msg_{self.id.hex}"

    @property
    def origin(self):
        return origin_of(self.url)


class Attempt(models.Model):
    """One HTTP attempt: the audit trail the API shows."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_snippet = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["callback", "number", "id"]
        constraints = [
            # At-least-once delivery must not become two recorded successes.
            models.UniqueConstraint(
                fields=["callback"],
                condition=Q(outcome="delivered"),
                name="one_success_per_callback",
            ),
        ]

    def __str__(self):
        return f"attempt {self.number} of {self.callback_id}: {self.outcome}"
