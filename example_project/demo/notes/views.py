from django.http import JsonResponse
from django.shortcuts import redirect
from rest_framework import serializers, viewsets

from django_lambda_bridge.http import lambda_info

from .models import Note


class NoteSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = Note
        fields = ["url", "id", "title", "body", "created"]


class NoteViewSet(viewsets.ModelViewSet):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer


def index(request):
    return redirect("note-list")


def whoami(request):
    """What the Lambda path tells Django about this request."""
    info = lambda_info(request)
    return JsonResponse(
        {
            "client_ip": request.META.get("REMOTE_ADDR"),
            "url": request.build_absolute_uri(),
            "script_name": request.META.get("SCRIPT_NAME"),
            "event_kind": info.kind.value if info else None,
            "request_id": info.request_id if info else None,
        }
    )
