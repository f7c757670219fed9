"""The catalogue's API: viewsets with filtering and pagination, auth, files, redirects."""

import io
import json

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Count
from django.http import FileResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST
from rest_framework import filters, permissions, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from .models import Attachment, Author, Book, Review
from .permissions import IsOwnerOrReadOnly
from .renderers import EnvelopeRenderer
from .serializers import (
    AttachmentSerializer,
    AuthorSerializer,
    BookSerializer,
    ReviewSerializer,
)

AUTH = [TokenAuthentication, SessionAuthentication]


class CataloguePagination(PageNumberPagination):
    page_size = 3
    page_size_query_param = "page_size"
    max_page_size = 50


class AuthorViewSet(viewsets.ModelViewSet):
    serializer_class = AuthorSerializer
    authentication_classes = AUTH
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = CataloguePagination

    def get_queryset(self):
        queryset = Author.objects.annotate(book_count=Count("books")).order_by("name")
        name = self.request.query_params.get("name")
        if name:
            queryset = queryset.filter(name__icontains=name)
        return queryset

    @action(detail=True)
    def books(self, request, pk=None):
        author = self.get_object()
        page = self.paginate_queryset(
            Book.objects.filter(author=author)
            .annotate(average_rating=Avg("reviews__rating"))
            .order_by("published")
        )
        serializer = BookSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


class BookViewSet(viewsets.ModelViewSet):
    serializer_class = BookSerializer
    authentication_classes = AUTH
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = CataloguePagination
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["title", "author__name"]
    ordering_fields = ["title", "published", "price"]
    ordering = ["id"]

    def get_queryset(self):
        queryset = (
            Book.objects.select_related("author")
            .prefetch_related("tags")
            .annotate(average_rating=Avg("reviews__rating"))
        )
        params = self.request.query_params
        if "author" in params:
            queryset = queryset.filter(author_id=params["author"])
        for tag in params.getlist("tag"):
            queryset = queryset.filter(tags__name=tag)
        for param, lookup in (("published_after", "gte"), ("published_before", "lte")):
            if param in params:
                day = parse_date(params[param])
                if day is None:
                    raise ValidationError({param: "Use the YYYY-MM-DD format."})
                queryset = queryset.filter(**{f"published__{lookup}": day})
        return queryset

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)

    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser],
        permission_classes=[permissions.IsAuthenticated],
    )
    def attachments(self, request, pk=None):
        book = self.get_object()
        if request.method == "GET":
            serializer = AttachmentSerializer(
                book.attachments.all(), many=True, context={"request": request}
            )
            return Response(serializer.data)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "Attach a file in the 'file' field."})
        attachment = Attachment.objects.create(
            book=book,
            filename=upload.name,
            content_type=upload.content_type or "application/octet-stream",
            data=upload.read(),
            uploaded_by=request.user,
        )
        serializer = AttachmentSerializer(attachment, context={"request": request})
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class ReviewViewSet(viewsets.ModelViewSet):
    serializer_class = ReviewSerializer
    authentication_classes = AUTH
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
    pagination_class = CataloguePagination

    def get_queryset(self):
        queryset = Review.objects.select_related("user")
        book = self.request.query_params.get("book")
        if book:
            queryset = queryset.filter(book_id=book)
        return queryset

    def perform_create(self, serializer):
        serializer.save(user=self.request.user)


@api_view(["GET"])
@authentication_classes(AUTH)
@permission_classes([permissions.IsAuthenticated])
def download_attachment(request, pk):
    attachment = get_object_or_404(Attachment, pk=pk)
    return FileResponse(
        io.BytesIO(bytes(attachment.data)),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )


@api_view(["GET"])
@renderer_classes([EnvelopeRenderer])
@permission_classes([permissions.AllowAny])
def stats(request):
    return Response(
        {
            "books": Book.objects.count(),
            "authors": Author.objects.count(),
            "reviews": Review.objects.count(),
        }
    )


@api_view(["GET"])
@authentication_classes(AUTH)
@permission_classes([permissions.IsAuthenticated])
def me(request):
    return Response(
        {
            "username": request.user.get_username(),
            "auth": "token" if request.auth is not None else "session",
            "ip": request.META.get("REMOTE_ADDR"),
        }
    )


@require_GET
@ensure_csrf_cookie
def csrf(request):
    return JsonResponse({"csrfToken": get_token(request)})


@require_POST
def session_login(request):
    """Log in with a form or JSON body; CSRF-protected like any Django form view."""
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"detail": "Malformed JSON."}, status=400)
    else:
        payload = request.POST
    user = authenticate(
        request, username=payload.get("username", ""), password=payload.get("password", "")
    )
    if user is None:
        return JsonResponse({"detail": "Invalid username or password."}, status=400)
    login(request, user)
    target = request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return JsonResponse({"username": user.get_username()})


@require_POST
def session_logout(request):
    logout(request)
    return JsonResponse({"detail": "Logged out."})


def catalogue(request):
    books = Book.objects.select_related("author").order_by("title")
    return render(request, "sampleapp/catalogue.html", {"books": books, "count": books.count()})


@login_required(login_url="sample:login")
def account(request):
    reviews = request.user.review_set.select_related("book")
    return render(request, "sampleapp/account.html", {"reviews": reviews})
