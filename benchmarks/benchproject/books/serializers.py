from rest_framework import serializers

from benchproject.books.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ("id", "title", "author", "isbn", "published", "price", "in_stock")
