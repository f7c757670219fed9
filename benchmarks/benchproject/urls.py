from django.urls import path

from benchproject.books.views import BookList
from benchproject.trivial import Ping

urlpatterns = [
    path("books/", BookList.as_view(), name="book-list"),
    path("ping/", Ping.as_view(), name="ping"),
]
