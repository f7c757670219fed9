"""CSRF stays enforced through the Lambda path, and trusted origins follow the settings."""

import pytest
from django.test import Client, override_settings

from django_lambda_bridge.testing import LambdaClient

ORIGIN = "https://partner-portal.example"

CLIENTS = {
    "in-process": lambda: Client(enforce_csrf_checks=True),
    "v1-prod": lambda: LambdaClient(enforce_csrf_checks=True, events="v1", stage="prod"),
    "v2": lambda: LambdaClient(enforce_csrf_checks=True, events="v2"),
}


def post_login(client, origin=ORIGIN, token=True):
    client.get("/admin/login/")
    data = {"username": "nobody", "password": "wrong"}
    if token:
        data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    return client.post("/admin/login/", data, HTTP_ORIGIN=origin, secure=True)


@pytest.mark.django_db
@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
def test_trusted_origins_override_reaches_the_handler(make):
    assert post_login(make()).status_code == 403  # a foreign origin is refused
    with override_settings(CSRF_TRUSTED_ORIGINS=[ORIGIN]):
        assert post_login(make()).status_code == 200  # trusted: the form comes back with errors
        assert post_login(make(), token=False).status_code == 403  # still needs the token
    assert post_login(make()).status_code == 403
