from django.contrib import admin

from messaging.models import Attachment, ExchangeMessage, MessageEvent, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "webhook_url", "is_active"]
    search_fields = ["name", "display_name"]


class ReadOnlyInline(admin.TabularInline):
    """History shown with its message: the admin may read it, never edit it."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class MessageEventInline(ReadOnlyInline):
    model = MessageEvent
    fields = ["created_at", "actor", "from_state", "to_state", "reason"]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["filename", "content_type", "size", "sha256", "uploaded_by"]


@admin.register(ExchangeMessage)
class ExchangeMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "sender", "recipient", "state", "created_at"]
    list_filter = ["state", "type", "sender", "recipient"]
    search_fields = ["id", "correlation_id", "type"]
    readonly_fields = ["id", "state", "idempotency_key", "created_at", "updated_at"]
    inlines = [AttachmentInline, MessageEventInline]


@admin.register(MessageEvent)
class MessageEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ["created_at", "message", "actor", "from_state", "to_state"]
    list_filter = ["to_state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
