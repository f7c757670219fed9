"""The pytest plugin: its fixtures, its switch, and projects that lack the extras."""

import json
import subprocess
import sys
import textwrap

import django.test
import django.test.client
import pytest
import rest_framework.test as drf_test
from django.test import SimpleTestCase

from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.testing import FakeContext
from django_lambda_bridge.testing.client import (
    LambdaClient,
    active_route,
    route_clients,
    route_clients_from_env,
    unroute_clients,
)
from django_lambda_bridge.testing.drf_client import LambdaAPIClient
from django_lambda_bridge.testing.fixtures import Invoker
from tests.toolkit.runner import clean_env

ORIGINAL_CLIENT = django.test.Client
ORIGINAL_API_CLIENT = drf_test.APIClient


def test_lambda_context_deadline_can_be_moved(lambda_context):
    assert isinstance(lambda_context, FakeContext)
    assert 29_000 < lambda_context.get_remaining_time_in_millis() <= 30_000
    lambda_context.remaining_ms = 150
    assert lambda_context.get_remaining_time_in_millis() <= 150


def test_lambda_event_has_every_factory(lambda_event):
    event = lambda_event.http_event("v2", "POST", "/echo/", body="x")
    assert event["requestContext"]["http"]["method"] == "POST"
    assert lambda_event.sqs_event is not None
    assert lambda_event.apigw_rest_event("GET", "/")["httpMethod"] == "GET"


def test_invoke_calls_the_project_handler(lambda_invoke, lambda_event):
    assert isinstance(lambda_invoke, Invoker)
    reply = lambda_invoke(lambda_event.http_event("v1", "GET", "/echo/", query="q=1"))
    assert reply["statusCode"] == 200
    decoded = lambda_invoke.http(lambda_event.http_event("alb", "GET", "/binary/"))
    assert decoded.body == bytes(range(256))


def test_invoke_passes_errors_of_non_http_events_through(lambda_invoke):
    with pytest.raises(Exception, match="event"):
        lambda_invoke({"unknown": "shape"})


@pytest.mark.django_db
def test_invoke_keeps_the_test_transaction(lambda_invoke, lambda_event, django_user_model):
    django_user_model.objects.create_user("kept")
    lambda_invoke(lambda_event.http_event("v2", "GET", "/echo/"))
    # A closed connection would have rolled the test's transaction back.
    assert django_user_model.objects.filter(username="kept").exists()


def test_client_fixtures(lambda_client, lambda_api_client):
    assert isinstance(lambda_client, LambdaClient)
    assert isinstance(lambda_api_client, LambdaAPIClient)
    assert lambda_client.lambda_route.events == "v1"
    assert lambda_client.get("/echo/").json()["kind"] == "apigateway-rest"


def test_sqs_queue(lambda_sqs_queue):
    message_id = lambda_sqs_queue.send("hello")
    messages = lambda_sqs_queue.receive()
    assert [(m["MessageId"], m["Body"]) for m in messages] == [(message_id, "hello")]
    assert lambda_sqs_queue.arn.endswith(":" + lambda_sqs_queue.name)


@pytest.fixture
def developer_aws_env(monkeypatch):
    """A developer's shell: a real profile and a session token, set before lambda_aws_env."""
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-looking-token")


def test_aws_env_points_plain_boto3_clients_at_moto(
    developer_aws_env, lambda_aws_env, lambda_sqs_queue
):
    import os

    import boto3

    assert "AWS_PROFILE" not in os.environ
    assert "AWS_SESSION_TOKEN" not in os.environ
    client = boto3.client("sqs")  # what application code writes: no endpoint, no keys
    assert client.meta.endpoint_url == lambda_aws_env.endpoint_url
    client.send_message(QueueUrl=lambda_sqs_queue.url, MessageBody="from app code")
    assert [m["Body"] for m in lambda_sqs_queue.receive()] == ["from app code"]
    assert boto3.session.Session().get_credentials().access_key == "testing"


def test_sns_topic_delivers_to_a_queue(lambda_sns_topic, lambda_sqs_queue):
    lambda_sns_topic.subscribe_queue(lambda_sqs_queue)
    lambda_sns_topic.client.publish(TopicArn=lambda_sns_topic.arn, Message="ping", Subject="s")
    (message,) = lambda_sqs_queue.receive()
    envelope = json.loads(message["Body"])
    assert envelope["TopicArn"] == lambda_sns_topic.arn
    assert envelope["Message"] == "ping"


def test_s3_bucket(lambda_s3_bucket):
    lambda_s3_bucket.put("a/b.bin", b"\x00\xff")
    assert lambda_s3_bucket.get("a/b.bin") == b"\x00\xff"
    listed = lambda_s3_bucket.client.list_objects_v2(Bucket=lambda_s3_bucket.name)
    assert [o["Key"] for o in listed["Contents"]] == ["a/b.bin"]


# --- the switch, in-process ----------------------------------------------------


@pytest.fixture
def routed():
    assert active_route() is None, "another test left the clients routed"
    try:
        yield
    finally:
        unroute_clients()


def test_route_clients_patches_the_standard_clients_and_unroute_restores(routed, rf):
    route_clients("v2", None)
    assert django.test.Client is LambdaClient
    assert django.test.client.Client is LambdaClient
    assert SimpleTestCase.client_class is LambdaClient
    assert drf_test.APIClient is LambdaAPIClient
    assert drf_test.APITestCase.client_class is LambdaAPIClient
    assert django.test.TestCase.client_class is LambdaClient  # inherited
    # A client built the way pytest-django's `client` fixture builds it.
    client = django.test.client.Client()
    assert client.lambda_route.events == "v2"
    assert client.get("/echo/").json()["kind"] == "apigateway-http"
    # Re-routing changes the format without stacking patches.
    route_clients("v1", "beta")
    assert django.test.Client().get("/echo/").json()["script_name"] == "/beta"
    unroute_clients()
    assert django.test.Client is ORIGINAL_CLIENT
    assert django.test.client.Client is ORIGINAL_CLIENT
    assert drf_test.APIClient is ORIGINAL_API_CLIENT
    assert drf_test.APITestCase.client_class is ORIGINAL_API_CLIENT
    assert "client_class" not in drf_test.APITestCase.__dict__ or (
        drf_test.APITestCase.client_class is ORIGINAL_API_CLIENT
    )
    assert SimpleTestCase.client_class is ORIGINAL_CLIENT
    assert active_route() is None


def test_route_clients_rejects_bad_formats(routed):
    with pytest.raises(ConfigurationError, match="choose one of"):
        route_clients("v3")
    assert django.test.Client is ORIGINAL_CLIENT


def test_route_from_environment(routed, monkeypatch):
    monkeypatch.delenv("DJANGO_LAMBDA_EVENTS", raising=False)
    assert route_clients_from_env() is False
    assert active_route() is None
    monkeypatch.setenv("DJANGO_LAMBDA_EVENTS", "v1")
    monkeypatch.setenv("DJANGO_LAMBDA_STAGE", "")
    assert route_clients_from_env() is True
    assert active_route().stage_name == ""
    assert django.test.Client().get("/echo/").json()["script_name"] == ""


# --- projects without the extras --------------------------------------------


def run_foreign_project(tmp_path, test_source, *args):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_foreign.py").write_text(textwrap.dedent(test_source))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_plugin_loads_in_a_project_without_django_settings(tmp_path):
    result = run_foreign_project(
        tmp_path,
        """
        import sys

        def test_fixtures(lambda_context, lambda_event):
            assert lambda_context.get_remaining_time_in_millis() > 0
            assert lambda_event.sqs_event("hi")["Records"][0]["body"] == "hi"
            assert "rest_framework" not in sys.modules
            assert "moto" not in sys.modules
            assert "boto3" not in sys.modules
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_switch_without_django_settings_is_a_usage_error(tmp_path):
    result = run_foreign_project(tmp_path, "def test_x():\n    pass\n", "--lambda-events=v2")
    assert result.returncode == 4
    assert "--lambda-events needs Django settings" in result.stderr


def test_aws_fixtures_start_their_own_moto_server(tmp_path):
    result = run_foreign_project(
        tmp_path,
        """
        def test_queue(lambda_sqs_queue, lambda_s3_bucket):
            lambda_sqs_queue.send("x")
            assert [m["Body"] for m in lambda_sqs_queue.receive()] == ["x"]
            assert lambda_sqs_queue.url.startswith("http://127.0.0.1:")
            lambda_s3_bucket.put("k", b"v")
            assert lambda_s3_bucket.get("k") == b"v"
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
