from django.test import TestCase
from django.urls import reverse
from rest_framework.test import APITestCase

from .factories import make_catalogue


class CataloguePageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_catalogue()

    def test_template_and_context(self):
        response = self.client.get(reverse("sample:catalogue"))
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "sampleapp/catalogue.html")
        self.assertEqual(response.context["count"], 5)
        self.assertContains(response, "<h1>5 books</h1>", html=False)
        self.assertContains(response, "Guards! Guards! by Terry Pratchett")
        self.assertEqual(response.resolver_match.url_name, "catalogue")
        self.assertEqual(response.resolver_match.namespace, "sample")

    def test_request_is_available(self):
        response = self.client.get(reverse("sample:catalogue"), {"q": "x"})
        self.assertEqual(response.wsgi_request.GET["q"], "x")
        self.assertEqual(response.wsgi_request.resolver_match.url_name, "catalogue")


class StatsTests(APITestCase):
    def test_data_is_before_rendering(self):
        make_catalogue()
        response = self.client.get(reverse("sample:stats"))
        self.assertEqual(response.data, {"books": 5, "authors": 2, "reviews": 0})
        self.assertEqual(response.json(), {"result": {"books": 5, "authors": 2, "reviews": 0}})

    def test_api_root_lists_the_endpoints(self):
        response = self.client.get(reverse("sample:api-root"))
        self.assertEqual(set(response.data), {"authors", "books", "reviews"})
