import json
import re

from django.conf import settings
from rest_framework import serializers

from messaging.models import Attachment, ExchangeMessage, MessageEvent, Partner

TYPE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


class PartnerNameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "name")
        super().__init__(**kwargs)


class MessageSerializer(serializers.ModelSerializer):
    sender = PartnerNameField(read_only=True)
    recipient = PartnerNameField(queryset=Partner.objects.filter(is_active=True))
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = ExchangeMessage
        fields = [
            "id",
            "sender",
            "recipient",
            "type",
            "payload",
            "correlation_id",
            "state",
            "created_at",
            "updated_at",
            "attachments",
        ]
        read_only_fields = ["id", "state", "created_at", "updated_at"]

    def get_attachments(self, message) -> list[dict]:
        return [
            {"id": str(a.id), "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments.all()
        ]

    def validate_type(self, value):
        if not TYPE_PATTERN.match(value):
            raise serializers.ValidationError(
                "Use 1-100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit."
            )
        return value

    def validate_payload(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("The payload must be a JSON object.")
        size = len(json.dumps(value, separators=(",", ":")).encode())
        limit = settings.EXCHANGE["MAX_PAYLOAD_BYTES"]
        if size > limit:
            raise serializers.ValidationError(f"The payload is {size} bytes; the limit is {limit}.")
        return value

    def validate_recipient(self, value):
        sender = self.context["partner"]
        if value == sender:
            raise serializers.ValidationError("A partner cannot send a message to itself.")
        return value


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class MessageEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)
    from_state = serializers.CharField(read_only=True)

    class Meta:
        model = MessageEvent
        fields = ["id", "actor", "from_state", "to_state", "reason", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    uploaded_by = PartnerNameField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "file",
            "filename",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "created_at",
            "download_url",
        ]
        read_only_fields = ["id", "filename", "content_type", "size", "sha256", "created_at"]

    def get_download_url(self, attachment) -> str:
        from django.urls import reverse

        url = reverse("attachment-download", kwargs={"pk": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def validate_file(self, upload):
        limit = settings.ATTACHMENT_MAX_BYTES
        if upload.size > limit:
            from messaging.problems import Problem

            raise Problem(
                413,
                "attachment-too-large",
                f"The file is {upload.size} bytes; the limit is {limit}.",
                limit_bytes=limit,
            )
        if upload.size == 0:
            raise serializers.ValidationError("The file is empty.")
        return upload


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    database = serializers.CharField()
