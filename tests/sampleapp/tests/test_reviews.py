from django.urls import reverse
from rest_framework import status
from rest_framework.test import APITestCase

from .factories import make_catalogue, make_user, review


class ReviewTests(APITestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")
        cls.bob = make_user("bob")
        cls.book = make_catalogue()["books"][3]

    def test_create_review(self):
        self.client.force_authenticate(self.alice)
        response = self.client.post(
            reverse("sample:review-list"),
            {"book": self.book.pk, "rating": 5, "text": "Ook."},
            format="json",
        )
        self.assertEqual(response.status_code, status.HTTP_201_CREATED)
        self.assertEqual(response.data["user"], "alice")

    def test_rating_range(self):
        self.client.force_authenticate(self.alice)
        response = self.client.post(
            reverse("sample:review-list"), {"book": self.book.pk, "rating": 9}, format="json"
        )
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertEqual(response.data["rating"], ["Ratings go from 1 to 5."])

    def test_one_review_per_user(self):
        review(self.book, self.alice, 3)
        self.client.force_authenticate(self.alice)
        response = self.client.post(
            reverse("sample:review-list"), {"book": self.book.pk, "rating": 4}, format="json"
        )
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)

    def test_only_the_owner_can_edit(self):
        mine = review(self.book, self.alice, 3)
        url = reverse("sample:review-detail", args=[mine.pk])
        self.client.force_authenticate(self.bob)
        self.assertEqual(
            self.client.patch(url, {"rating": 1}, format="json").status_code,
            status.HTTP_403_FORBIDDEN,
        )
        self.client.force_authenticate(self.alice)
        response = self.client.patch(url, {"rating": 4}, format="json")
        self.assertEqual(response.data["rating"], 4)

    def test_filter_by_book(self):
        review(self.book, self.alice, 3)
        response = self.client.get(reverse("sample:review-list"), {"book": self.book.pk})
        self.assertEqual(response.data["count"], 1)
        response = self.client.get(reverse("sample:review-list"), {"book": 0})
        self.assertEqual(response.data["count"], 0)
