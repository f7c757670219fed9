import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from ..models import Author, Book, Review, Tag


def make_user(username="reader", password="s3cret-pass", **extra):
    return get_user_model().objects.create_user(username=username, password=password, **extra)


def make_catalogue():
    """Two authors, five books, three tags."""
    le_guin = Author.objects.create(name="Ursula K. Le Guin", email="ursula@example.com")
    pratchett = Author.objects.create(name="Terry Pratchett", email="terry@example.com")
    fantasy, scifi, humour = (Tag.objects.create(name=n) for n in ("fantasy", "scifi", "humour"))
    rows = [
        ("A Wizard of Earthsea", le_guin, "9780547773742", "1968-11-01", "9.99", [fantasy]),
        ("The Left Hand of Darkness", le_guin, "9780441478125", "1969-03-01", "12.50", [scifi]),
        ("The Dispossessed", le_guin, "9780061054884", "1974-05-01", "11.00", [scifi]),
        ("Guards! Guards!", pratchett, "9780062225757", "1989-11-01", "8.99", [fantasy, humour]),
        ("Small Gods", pratchett, "9780062237378", "1992-05-01", "8.50", [fantasy, humour]),
    ]
    books = []
    for title, author, isbn, published, price, tags in rows:
        book = Book.objects.create(
            title=title,
            author=author,
            isbn=isbn,
            published=datetime.date.fromisoformat(published),
            price=Decimal(price),
        )
        book.tags.set(tags)
        books.append(book)
    return {"authors": [le_guin, pratchett], "books": books}


def review(book, user, rating, text=""):
    return Review.objects.create(book=book, user=user, rating=rating, text=text)
