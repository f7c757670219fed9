"""A small unittest suite for ``manage.py test`` runs: 4 classes, 2 requests each."""

from django.test import SimpleTestCase


class _TwoRequests:
    def test_two_requests(self):
        for _ in range(2):
            response = self.client.get("/echo/")
            assert response.status_code == 200


class FirstTests(_TwoRequests, SimpleTestCase):
    pass


class SecondTests(_TwoRequests, SimpleTestCase):
    pass


class ThirdTests(_TwoRequests, SimpleTestCase):
    pass


class FourthTests(_TwoRequests, SimpleTestCase):
    pass
