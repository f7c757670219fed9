from django.db.models import ProtectedError
from django.urls import reverse
from rest_framework import status
from rest_framework.test import APITestCase

from ..models import Book
from .factories import make_catalogue, make_user, review


class BookListTests(APITestCase):
    @classmethod
    def setUpTestData(cls):
        cls.catalogue = make_catalogue()
        cls.url = reverse("sample:book-list")

    def test_list_is_paginated(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        self.assertEqual(response.data["count"], 5)
        self.assertEqual(len(response.data["results"]), 3)
        self.assertIsNone(response.data["previous"])
        self.assertTrue(response.data["next"].endswith(self.url + "?page=2"))

    def test_next_link_leads_to_the_second_page(self):
        first = self.client.get(self.url)
        second = self.client.get(first.data["next"])
        self.assertEqual(second.status_code, status.HTTP_200_OK)
        self.assertEqual(
            [b["title"] for b in second.data["results"]], ["Guards! Guards!", "Small Gods"]
        )
        self.assertIsNone(second.data["next"])

    def test_page_size_parameter(self):
        response = self.client.get(self.url, {"page_size": 5})
        self.assertEqual(len(response.data["results"]), 5)
        self.assertIsNone(response.data["next"])

    def test_page_out_of_range_is_404(self):
        response = self.client.get(self.url, {"page": 9})
        self.assertEqual(response.status_code, status.HTTP_404_NOT_FOUND)

    def test_filter_by_author(self):
        pratchett = self.catalogue["authors"][1]
        response = self.client.get(self.url, {"author": pratchett.pk})
        self.assertEqual(response.data["count"], 2)
        self.assertEqual({b["author_name"] for b in response.data["results"]}, {pratchett.name})

    def test_filter_by_several_tags(self):
        response = self.client.get(self.url + "?tag=fantasy&tag=humour")
        titles = [b["title"] for b in response.data["results"]]
        self.assertEqual(titles, ["Guards! Guards!", "Small Gods"])

    def test_filter_by_date_range(self):
        response = self.client.get(
            self.url, {"published_after": "1969-01-01", "published_before": "1989-12-31"}
        )
        self.assertEqual(response.data["count"], 3)

    def test_bad_date_is_a_validation_error(self):
        response = self.client.get(self.url, {"published_after": "last year"})
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertIn("published_after", response.data)

    def test_search_matches_title_and_author(self):
        response = self.client.get(self.url, {"search": "le guin"})
        self.assertEqual(response.data["count"], 3)
        response = self.client.get(self.url, {"search": "darkness"})
        self.assertEqual(response.data["results"][0]["title"], "The Left Hand of Darkness")

    def test_search_with_unicode_and_spaces(self):
        Book.objects.filter(title="Small Gods").update(title="Petits Dieux — édition")
        response = self.client.get(self.url, {"search": "Dieux — é"})
        self.assertEqual(response.data["count"], 1)

    def test_ordering(self):
        response = self.client.get(self.url, {"ordering": "-price", "page_size": 2})
        self.assertEqual([b["price"] for b in response.data["results"]], ["12.50", "11.00"])

    def test_average_rating(self):
        book = self.catalogue["books"][0]
        review(book, make_user("a"), 4)
        review(book, make_user("b"), 5)
        response = self.client.get(reverse("sample:book-detail", args=[book.pk]))
        self.assertEqual(response.data["average_rating"], 4.5)
        self.assertEqual(response.data["tags"], ["fantasy"])

    def test_detail_link_can_be_followed(self):
        listing = self.client.get(self.url)
        first = listing.data["results"][0]
        response = self.client.get(first["url"])
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        self.assertEqual(response.data["id"], first["id"])

    def test_missing_book_is_404(self):
        response = self.client.get(reverse("sample:book-detail", args=[9999]))
        self.assertEqual(response.status_code, status.HTTP_404_NOT_FOUND)
        self.assertEqual(response.json(), {"detail": "No Book matches the given query."})

    def test_legacy_url_redirects_permanently(self):
        book = self.catalogue["books"][2]
        response = self.client.get(reverse("sample:legacy-book", args=[book.pk]))
        self.assertRedirects(
            response,
            reverse("sample:book-detail", args=[book.pk]),
            status_code=status.HTTP_301_MOVED_PERMANENTLY,
        )

    def test_legacy_url_followed(self):
        book = self.catalogue["books"][2]
        response = self.client.get(reverse("sample:legacy-book", args=[book.pk]), follow=True)
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        self.assertEqual(response.data["title"], "The Dispossessed")
        self.assertEqual(len(response.redirect_chain), 1)

    def test_head_has_no_body(self):
        response = self.client.head(self.url)
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        self.assertEqual(response.content, b"")


class BookWriteTests(APITestCase):
    @classmethod
    def setUpTestData(cls):
        cls.catalogue = make_catalogue()
        cls.user = make_user()

    def payload(self, **overrides):
        data = {
            "title": "Mort",
            "author": self.catalogue["authors"][1].pk,
            "isbn": "9780062237316",
            "published": "1987-11-12",
            "price": "7.99",
            "tags": ["fantasy", "humour"],
        }
        data.update(overrides)
        return data

    def test_anonymous_cannot_create(self):
        response = self.client.post(reverse("sample:book-list"), self.payload(), format="json")
        self.assertEqual(response.status_code, status.HTTP_401_UNAUTHORIZED)
        self.assertEqual(response["WWW-Authenticate"], "Token")

    def test_create(self):
        self.client.force_authenticate(self.user)
        response = self.client.post(reverse("sample:book-list"), self.payload(), format="json")
        self.assertEqual(response.status_code, status.HTTP_201_CREATED, response.data)
        book = Book.objects.get(pk=response.data["id"])
        self.assertEqual(book.created_by, self.user)
        self.assertEqual(sorted(t.name for t in book.tags.all()), ["fantasy", "humour"])

    def test_create_validates(self):
        self.client.force_authenticate(self.user)
        response = self.client.post(
            reverse("sample:book-list"), self.payload(isbn="12-34", tags=["nope"]), format="json"
        )
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertEqual(set(response.data), {"isbn", "tags"})

    def test_duplicate_isbn(self):
        self.client.force_authenticate(self.user)
        response = self.client.post(
            reverse("sample:book-list"),
            self.payload(isbn=self.catalogue["books"][0].isbn),
            format="json",
        )
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertIn("isbn", response.data)

    def test_partial_update(self):
        self.client.force_authenticate(self.user)
        book = self.catalogue["books"][4]
        response = self.client.patch(
            reverse("sample:book-detail", args=[book.pk]), {"price": "9.25"}, format="json"
        )
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        book.refresh_from_db()
        self.assertEqual(str(book.price), "9.25")

    def test_form_encoded_update(self):
        self.client.force_authenticate(self.user)
        book = self.catalogue["books"][4]
        response = self.client.put(
            reverse("sample:book-detail", args=[book.pk]),
            self.payload(title="Small Gods (2nd ed.)", isbn=book.isbn),
        )
        self.assertEqual(response.status_code, status.HTTP_200_OK, response.data)
        self.assertEqual(response.data["title"], "Small Gods (2nd ed.)")

    def test_delete(self):
        self.client.force_authenticate(self.user)
        book = self.catalogue["books"][0]
        response = self.client.delete(reverse("sample:book-detail", args=[book.pk]))
        self.assertEqual(response.status_code, status.HTTP_204_NO_CONTENT)
        self.assertEqual(response.content, b"")
        self.assertFalse(Book.objects.filter(pk=book.pk).exists())

    def test_author_books_action(self):
        author = self.catalogue["authors"][0]
        response = self.client.get(reverse("sample:author-books", args=[author.pk]))
        self.assertEqual(response.data["count"], 3)
        authors = self.client.get(reverse("sample:author-list"), {"name": "pratchett"})
        self.assertEqual(authors.data["results"][0]["book_count"], 2)

    def test_cannot_delete_an_author_with_books(self):
        self.client.force_authenticate(self.user)
        author = self.catalogue["authors"][0]
        with self.assertRaises(ProtectedError):
            self.client.delete(reverse("sample:author-detail", args=[author.pk]))
