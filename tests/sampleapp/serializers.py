import hashlib

from rest_framework import serializers

from .models import Attachment, Author, Book, Review, Tag


class AuthorSerializer(serializers.ModelSerializer):
    book_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Author
        fields = ["id", "name", "email", "book_count"]


class BookSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name", read_only=True)
    tags = serializers.SlugRelatedField(
        many=True, slug_field="name", queryset=Tag.objects.all(), required=False
    )
    average_rating = serializers.FloatField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="sample:book-detail")

    class Meta:
        model = Book
        fields = [
            "id",
            "url",
            "title",
            "author",
            "author_name",
            "tags",
            "isbn",
            "published",
            "price",
            "average_rating",
        ]

    def validate_isbn(self, value):
        if not value.isdigit() or len(value) not in (10, 13):
            raise serializers.ValidationError("An ISBN has 10 or 13 digits.")
        return value


class ReviewSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "book", "user", "rating", "text"]

    def validate_rating(self, value):
        if not 1 <= value <= 5:
            raise serializers.ValidationError("Ratings go from 1 to 5.")
        return value

    def validate(self, attrs):
        request = self.context["request"]
        book = attrs.get("book")
        if (
            self.instance is None
            and book is not None
            and Review.objects.filter(book=book, user=request.user).exists()
        ):
            raise serializers.ValidationError("You already reviewed this book.")
        return attrs


class AttachmentSerializer(serializers.ModelSerializer):
    size = serializers.SerializerMethodField()
    sha256 = serializers.SerializerMethodField()
    download = serializers.HyperlinkedIdentityField(view_name="sample:attachment-download")

    class Meta:
        model = Attachment
        fields = ["id", "book", "filename", "content_type", "size", "sha256", "download"]

    def get_size(self, obj):
        return len(bytes(obj.data))

    def get_sha256(self, obj):
        return hashlib.sha256(bytes(obj.data)).hexdigest()
