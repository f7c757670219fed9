from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import idempotency, workflow
from messaging.filters import MessageFilter
from messaging.models import Attachment, ExchangeMessage, MessageEvent
from messaging.permissions import IsPartner, partner_of
from messaging.problems import Problem, problem_response
from messaging.serializers import (
    AttachmentSerializer,
    HealthSerializer,
    MessageEventSerializer,
    MessageSerializer,
    ReasonSerializer,
)
from messaging.states import State

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Retries with the same key get the first reply and create nothing.",
)


class MessageViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Messages the authenticated partner sent or received; any other is a 404."""

    serializer_class = MessageSerializer
    permission_classes = [IsPartner]
    filterset_class = MessageFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExchangeMessage.objects.none()
        return (
            ExchangeMessage.objects.visible_to(partner_of(self.request.user))
            .select_related("sender", "recipient")
            .prefetch_related("attachments")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["partner"] = partner_of(self.request.user)
        return context

    @extend_schema(parameters=[IDEMPOTENCY_HEADER], responses={201: MessageSerializer})
    def create(self, request, *args, **kwargs):
        sender = partner_of(request.user)
        key = idempotency.read_key(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        def create():
            message = serializer.save(sender=sender, idempotency_key=key)
            MessageEvent.objects.create(
                message=message, actor=sender, from_state="", to_state=State.RECEIVED,
                reason="submitted",
            )
            workflow.after_submit(message.pk)
            return status.HTTP_201_CREATED, dict(self.get_serializer(message).data), message

        return idempotency.run_once(sender, key, request.data, create)

    def _recipient_transition(self, request, target):
        message = self.get_object()
        partner = partner_of(request.user)
        if message.recipient_id != partner.pk:
            verb = "acknowledge" if target == State.ACKNOWLEDGED else "reject"
            raise Problem(403, "not-recipient", f"Only the recipient may {verb} a message.")
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message.transition(target, actor=partner, reason=body.validated_data["reason"])
        message.refresh_from_db()
        return Response(self.get_serializer(message).data)

    @extend_schema(request=ReasonSerializer, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._recipient_transition(request, State.ACKNOWLEDGED)

    @extend_schema(request=ReasonSerializer, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._recipient_transition(request, State.REJECTED)

    @extend_schema(responses=MessageEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request, pk=None):
        message = self.get_object()
        events = message.events.select_related("actor")
        return Response(MessageEventSerializer(events, many=True).data)

    @extend_schema(request={"multipart/form-data": AttachmentSerializer}, responses={201: AttachmentSerializer})
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser],
        serializer_class=AttachmentSerializer,
        filterset_class=None,
    )
    def attachments(self, request, pk=None):
        message = self.get_object()
        serializer = AttachmentSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.pop("file")
        data = upload.read()
        attachment = serializer.save(
            message=message,
            uploaded_by=partner_of(request.user),
            filename=upload.name or "attachment",
            content_type=upload.content_type or "application/octet-stream",
            size=len(data),
            sha256=Attachment.digest(data),
            data=data,
        )
        return Response(
            AttachmentSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class AttachmentDownloadView(APIView):
    """The file as uploaded: its bytes, content type and name."""

    permission_classes = [IsPartner]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk):
        partner = partner_of(request.user)
        attachment = get_object_or_404(
            Attachment.objects.filter(message__in=ExchangeMessage.objects.visible_to(partner)),
            pk=pk,
        )
        response = HttpResponse(bytes(attachment.data), content_type=attachment.content_type)
        response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
        response["Content-Length"] = str(attachment.size)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class HealthView(APIView):
    """Liveness with a database round trip; no authentication, no throttling."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        responses={
            200: HealthSerializer,
            503: inline_serializer("HealthProblem", {"detail": serializers.CharField()}),
        }
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:
            return problem_response(
                503, f"database unavailable: {type(exc).__name__}", slug="unhealthy",
                database="unavailable",
            )
        return Response({"status": "ok", "database": "ok"})
