import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from callbacks import idempotency
from callbacks.models import Callback, State, Subscription
from callbacks.serializers import (
    CallbackRequestSerializer,
    CallbackSerializer,
    SubscriptionSerializer,
)


logger = logging.getLogger("callbacks.api")


class CallbackFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=State.choices)
    event_type = filters.CharFilter()
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    url_prefix = filters.CharFilter(field_name="url", lookup_expr="startswith")

    class Meta:
        model = Callback
        fields = ["state", "event_type"]


class CallbackViewSet(viewsets.ReadOnlyModelViewSet):
    """The client's own callbacks; anyone else's is a 404."""

    serializer_class = CallbackSerializer
    filterset_class = CallbackFilter

    def get_queryset(self):
        return Callback.objects.filter(owner=self.request.user).prefetch_related("attempts")

    def create(self, request):
        key = idempotency.read_key(request)
        if key is None:
            raise ValidationError(
                {"Idempotency-Key": [
                    "This header is required: 1-255 printable characters, the same on every "
                    "retry of one callback request."
                ]}
            )  # fmt: skip
        incoming = CallbackRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            callback, created = idempotency.insert_once(request.user, key, incoming.validated_data)
        except idempotency.KeyReused:
            return Response(
                {"detail": "This Idempotency-Key was already used with a different body."},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        callback = self.get_queryset().get(pk=callback.pk)
        body = CallbackSerializer(callback, context={"request": request}).data
        if created:
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})

    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Re-drive a dead callback: a fresh budget of attempts, starting now."""
        callback = self.get_object()
        with transaction.atomic():
            redriven = Callback.objects.filter(pk=callback.pk, state=State.DEAD).update(
                state=State.PENDING,
                max_attempts=callback.attempt_count + settings.CALLBACK["MAX_ATTEMPTS"],
                next_attempt_at=timezone.now(),
                last_error="",
                updated_at=timezone.now(),
            )
            if redriven:
                _redrive(callback.pk, callback.attempt_count + 1)  # sent when this commits
        if not redriven:
            current = Callback.objects.get(pk=callback.pk).state
            return Response(
                {"detail": f"Only a dead callback can be retried; this one is {current}.",
                 "state": current},
                status=status.HTTP_409_CONFLICT,
            )  # fmt: skip
        callback = self.get_queryset().get(pk=callback.pk)
        return Response(CallbackSerializer(callback).data, status=status.HTTP_202_ACCEPTED)


def _redrive(callback_id, attempt):
    """The re-drive's first attempt, as a task; the sweeper repairs a send that fails."""
    from callbacks.tasks import redeliver

    redeliver.enqueue(str(callback_id), attempt)


class SubscriptionViewSet(viewsets.ReadOnlyModelViewSet):
    """The client's receivers and their secrets. Register one before its first callback,
    so the receiver can verify that callback's signature; an insert to a new origin
    registers it too."""

    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return Subscription.objects.filter(owner=self.request.user).order_by("origin")

    def create(self, request):
        incoming = SubscriptionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        subscription, created = Subscription.objects.get_or_create(
            owner=request.user, origin=incoming.validated_data["url"]
        )
        return Response(
            SubscriptionSerializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class HealthView(APIView):
    """For load balancers and the deploy pipeline: no auth, 503 without a database."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            return Response(
                {"status": "unavailable", "database": "unreachable"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"status": "ok", "database": "ok"})
