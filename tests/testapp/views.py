"""Views that exercise each HTTP fix: URLs, cookies, client IP, binary, errors."""

import json

from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from django_lambda_bridge.http import lambda_info
from django_lambda_bridge.http.drf import AuthorizerAuthentication

from .models import Widget


class WidgetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Widget
        fields = ["id", "name", "size"]


class WidgetViewSet(viewsets.ModelViewSet):
    queryset = Widget.objects.all()
    serializer_class = WidgetSerializer


class PostgresWidgetSerializer(WidgetSerializer):
    def create(self, validated_data):
        return Widget.objects.using("postgres").create(**validated_data)


class PostgresWidgetViewSet(WidgetViewSet):
    """The same API on the ``postgres`` alias (updates follow the instance's own DB)."""

    queryset = Widget.objects.using("postgres").all()
    serializer_class = PostgresWidgetSerializer


@csrf_exempt
def echo(request):
    """Everything Django sees of the request, as JSON."""
    info = lambda_info(request)
    return JsonResponse(
        {
            "method": request.method,
            "path": request.path,
            "path_info": request.path_info,
            "script_name": request.META.get("SCRIPT_NAME"),
            "absolute_uri": request.build_absolute_uri(),
            "reverse": reverse("echo"),
            "is_secure": request.is_secure(),
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "remote_user": request.META.get("REMOTE_USER"),
            "query": {k: request.GET.getlist(k) for k in request.GET},
            "body": request.body.decode("latin-1"),
            "content_type": request.META.get("CONTENT_TYPE"),
            "headers": {k: v for k, v in request.headers.items()},
            "cookies": request.COOKIES,
            "kind": info.kind.value if info else None,
            "request_id": info.request_id if info else None,
            "aws_request_id": info.aws_request_id if info else None,
            "authorizer": (
                {
                    "type": info.authorizer.type,
                    "principal": info.authorizer.principal,
                    "claims": dict(info.authorizer.claims),
                    "scopes": list(info.authorizer.scopes),
                }
                if info and info.authorizer
                else None
            ),
        }
    )


def cookies(request):
    response = HttpResponse("two cookies", content_type="text/plain")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2")
    response.headers["X-Custom"] = "a"
    return response


def duplicate_headers(request):
    """A WSGI app may repeat any header; Django can't, so go below it."""
    response = HttpResponse("dups", content_type="text/plain")
    response.headers["Vary"] = "Cookie"
    return response


def redirect(request):
    return HttpResponseRedirect(reverse("echo"))


def binary(request):
    return HttpResponse(bytes(range(256)), content_type="application/octet-stream")


def gzipped(request):
    return HttpResponse(
        b"\x1f\x8b\x08\x00fake",
        content_type="application/json",
        headers={"Content-Encoding": "gzip"},
    )


def latin1(request):
    return HttpResponse("caf\xe9".encode("latin-1"), content_type="text/plain; charset=latin-1")


def big(request):
    size = int(request.GET.get("bytes", "0"))
    return HttpResponse(b"x" * size, content_type="text/plain")


def stream(request):
    def chunks():
        yield b"one,"
        yield b"two"

    return StreamingHttpResponse(chunks(), content_type="text/csv")


def broken_stream(request):
    def chunks():
        yield b"start"
        raise RuntimeError("stream broke")

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def boom(request):
    raise RuntimeError("boom")


def json_problem(request):
    return HttpResponse(json.dumps({"ok": True}), content_type="application/vnd.api+json")


@api_view(["GET"])
@authentication_classes([AuthorizerAuthentication])
@permission_classes([IsAuthenticated])
def whoami(request):
    return Response({"username": request.user.get_username(), "type": request.auth.type})


# --- HTTP engineer: views for tests/test_http_*.py -----------------------------------


@csrf_exempt
def upload(request):
    """The request body back, byte for byte, as the content type the client asked for."""
    content_type = request.GET.get("type", "application/octet-stream")
    return HttpResponse(request.body, content_type=content_type)


def named(request, name):
    return JsonResponse({"name": name, "path": request.path})


def escaped(request):
    """Text that JSON escapes six-fold: small as a body, big as a Lambda reply."""
    return HttpResponse("\x01" * int(request.GET.get("chars", "0")), content_type="text/plain")


def typed(request):
    """A UTF-8 body under any Content-Type (and optional Content-Encoding) from the query."""
    response = HttpResponse("héllo <b>", content_type=request.GET["type"])
    if "encoding" in request.GET:
        response.headers["Content-Encoding"] = request.GET["encoding"]
    return response


def nonascii_json(request):
    """A JSON reply of about ``bytes`` UTF-8 bytes, mostly two-byte characters."""
    size = int(request.GET.get("bytes", "0"))
    return HttpResponse(
        json.dumps({"text": "é" * (size // 2)}, ensure_ascii=False).encode(),
        content_type="application/json",
    )


def big_file(request):
    """A FileResponse (declared Content-Length) of the file named in the query."""
    return FileResponse(open(request.GET["path"], "rb"), content_type="application/pdf")


def endless(request):
    """A streaming reply with no Content-Length, ``mb`` MB in 64 kB chunks."""
    chunk = b"z" * 65536

    def chunks():
        for _ in range(int(request.GET["mb"]) * 16):
            yield chunk

    return StreamingHttpResponse(chunks(), content_type="application/octet-stream")


def health(request):
    return JsonResponse({"status": "ok", "host": request.get_host()})


def yaml_schema(request):
    return HttpResponse("openapi: 3.0.3\ninfo: {title: é}\n", content_type=request.GET["type"])


@csrf_exempt
def multipart(request):
    """What Django parsed from a form upload."""
    return JsonResponse(
        {
            "content_type": request.META.get("CONTENT_TYPE"),
            "fields": {k: request.POST.getlist(k) for k in request.POST},
            "files": {k: f.read().decode() for k, f in request.FILES.items()},
        }
    )
