import hashlib
import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from messaging.states import IllegalTransition, State, allowed


class Partner(models.Model):
    """An organisation that exchanges messages; it logs in as its Django user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner"
    )
    name = models.SlugField(max_length=64, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    webhook_url = models.URLField(blank=True, help_text="Where this partner's callbacks go.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MessageQuerySet(models.QuerySet):
    def visible_to(self, partner):
        """What a partner may see: only what it sent or received."""
        return self.filter(Q(sender=partner) | Q(recipient=partner))


class ExchangeMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sender = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="sent")
    recipient = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="received")
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    correlation_id = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVED)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="unique_idempotency_key_per_sender",
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"{self.type} {self.id} ({self.state})"

    def transition(self, target, *, actor=None, reason=""):
        """Move to ``target`` and append the audit event, or raise ``IllegalTransition``.

        The row is locked and re-read first, so two workers (or a worker and a
        partner) racing on one message cannot both move it.
        """
        with transaction.atomic():
            current = (
                ExchangeMessage.objects.select_for_update().values_list("state", flat=True)
            ).get(pk=self.pk)
            if not allowed(current, target):
                self.state = current
                raise IllegalTransition(current, target)
            ExchangeMessage.objects.filter(pk=self.pk).update(state=target, updated_at=timezone.now())
            MessageEvent.objects.create(
                message=self, actor=actor, from_state=current, to_state=target, reason=reason
            )
        self.state = target
        return self


class MessageEvent(models.Model):
    """Append-only audit trail: one row per transition, never changed or removed."""

    message = models.ForeignKey(ExchangeMessage, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=State.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.from_state or '-'} -> {self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Message events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Message events are append-only.")

    @property
    def actor_name(self):
        return self.actor.name if self.actor else "system"


class Attachment(models.Model):
    """A file sent with a message, kept in the database so every function sees it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(
        ExchangeMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.filename

    @staticmethod
    def digest(data):
        return hashlib.sha256(data).hexdigest()


class IdempotencyRecord(models.Model):
    """The first reply to a submission, replayed for every retry with the same key.

    The unique constraint is the lock: a concurrent retry's INSERT waits for the
    first transaction and then fails, and the retry replays what committed.
    """

    sender = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    message = models.ForeignKey(
        ExchangeMessage, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "key"], name="unique_idempotency_record")
        ]
