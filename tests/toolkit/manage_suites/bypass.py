"""Tests whose requests never reach the Lambda handler, as with a third-party client."""

from django.test import RequestFactory, SimpleTestCase
from django.test.client import ClientHandler

from tests.testapp import views


class BypassTests(SimpleTestCase):
    def test_request_factory_calls_the_view_directly(self):
        response = views.echo(RequestFactory().get("/echo/"))
        assert response.status_code == 200

    def test_a_client_built_on_djangos_in_process_handler(self):
        environ = RequestFactory()._base_environ(PATH_INFO="/echo/", REQUEST_METHOD="GET")
        assert ClientHandler()(environ).status_code == 200
