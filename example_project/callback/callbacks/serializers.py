import json
import re

from django.conf import settings
from rest_framework import serializers

from callbacks import ssrf
from callbacks.models import Attempt, Callback, Subscription, origin_of

EVENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")


class AttemptSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="started_at")

    class Meta:
        model = Attempt
        fields = [
            "number", "at", "outcome", "status_code", "latency_ms", "error",
            "response_snippet", "next_attempt_at",
        ]  # fmt: skip


class CallbackSerializer(serializers.ModelSerializer):
    attempts = AttemptSerializer(many=True, read_only=True)
    webhook_id = serializers.CharField(read_only=True)

    class Meta:
        model = Callback
        fields = [
            "id", "url", "event_type", "payload", "state", "webhook_id", "attempt_count",
            "max_attempts", "next_attempt_at", "last_error", "created_at", "updated_at",
            "delivered_at", "attempts",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("url", "event_type", "payload")]


class CallbackRequestSerializer(serializers.Serializer):
    """What a client may send; everything else about a callback is the service's."""

    url = serializers.URLField(max_length=2048)
    event_type = serializers.CharField(max_length=200)
    payload = serializers.JSONField()

    def validate_url(self, value):
        try:
            ssrf.check_literal(value)
        except ssrf.RefusedURL as exc:
            raise serializers.ValidationError(f"This URL cannot receive callbacks: {exc}.")
        return value

    def validate_event_type(self, value):
        if not EVENT_TYPE.match(value):
            raise serializers.ValidationError(
                "Use letters, digits and . _ : - (for example 'order.created')."
            )
        return value

    def validate_payload(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("The payload must be a JSON object.")
        size = len(json.dumps(value, separators=(",", ":")).encode())
        limit = settings.CALLBACK["MAX_PAYLOAD_BYTES"]
        if size > limit:
            raise serializers.ValidationError(f"The payload is {size} bytes; the limit is {limit}.")
        return value


class SubscriptionSerializer(serializers.ModelSerializer):
    """A receiver origin and its signing secret, shown to the client that owns it only."""

    url = serializers.URLField(write_only=True, max_length=2048, help_text="Any URL at the origin.")

    class Meta:
        model = Subscription
        fields = ["id", "url", "origin", "secret", "created_at"]
        read_only_fields = ["origin", "secret", "created_at"]

    def validate_url(self, value):
        try:
            ssrf.check_literal(value)
        except ssrf.RefusedURL as exc:
            raise serializers.ValidationError(f"This URL cannot receive callbacks: {exc}.")
        return origin_of(value)
