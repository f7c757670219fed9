from rest_framework import generics

from benchproject.books.models import Book
from benchproject.books.serializers import BookSerializer


class BookList(generics.ListAPIView):
    """Five rows from SQLite through a ModelSerializer: a typical small read endpoint."""

    serializer_class = BookSerializer

    def get_queryset(self):
        return Book.objects.order_by("id")[:5]
