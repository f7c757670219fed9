"""pytest fixtures, registered by ``testing.plugin``; every import is lazy.

A project without pytest-django, DRF, boto3 or moto still loads the plugin:
a fixture that needs one of them imports it when a test asks for it, and
skips that test with the package to install if it is missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from django_lambda_bridge.testing.context import FakeContext


@pytest.fixture
def lambda_context() -> FakeContext:
    """A fresh Lambda context; set ``.remaining_ms`` to move its deadline."""
    return FakeContext()


@pytest.fixture
def lambda_event() -> SimpleNamespace:
    """Every event factory by name: ``lambda_event.sqs_event(...)``, ``.http_event("v2")``."""
    import django_lambda_bridge.testing as testing

    return SimpleNamespace(**{name: getattr(testing, name) for name in _factory_names(testing)})


def _factory_names(module: Any) -> list[str]:
    return [n for n in module.__all__ if n.endswith(("_event", "_record", "_envelope"))]


class Invoker:
    """Calls the project's handler the way the Lambda runtime does, as a test would.

    Like Django's test client, it keeps the test's database transaction open
    across the call and restores the thread's URL script prefix afterwards.
    """

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any]) -> None:
        self.handler = handler

    def __call__(self, event: dict[str, Any], context: Any = None) -> Any:
        from django_lambda_bridge.testing.seam import lambda_request_scope

        with lambda_request_scope():
            return self.handler(event, context if context is not None else FakeContext())

    def http(self, event: dict[str, Any], context: Any = None) -> Any:
        """Invoke with an HTTP event and decode the reply (status, headers, body bytes)."""
        from django_lambda_bridge.testing.replies import decode_reply

        return decode_reply(self(event, context))


@pytest.fixture
def lambda_handler() -> Callable[[dict[str, Any], Any], Any]:
    """The project's handler: ``--lambda-handler``, ``$DJANGO_LAMBDA_HANDLER``, else built."""
    from django_lambda_bridge.testing.loading import get_project_handler
    from django_lambda_bridge.testing.switch import active_route

    route = active_route()
    return get_project_handler(route.handler if route else None)


@pytest.fixture
def lambda_invoke(lambda_handler: Callable[[dict[str, Any], Any], Any]) -> Invoker:
    """``lambda_invoke(event)`` returns the handler's reply; ``lambda_invoke.http`` decodes it."""
    return Invoker(lambda_handler)


@pytest.fixture
def lambda_client() -> Any:
    """A ``LambdaClient`` for the format chosen with ``--lambda-events`` (v1 by default)."""
    from django_lambda_bridge.testing.clients import LambdaClient

    return LambdaClient()


@pytest.fixture
def lambda_api_client() -> Any:
    """A ``LambdaAPIClient`` (DRF); skips the test when DRF is not installed."""
    pytest.importorskip("rest_framework", reason="lambda_api_client needs djangorestframework")
    from django_lambda_bridge.testing.drf_client import LambdaAPIClient

    return LambdaAPIClient()


# --- AWS resources on a local moto server --------------------------------------


@pytest.fixture(scope="session")
def lambda_moto_server() -> Iterator[Any]:
    """moto on 127.0.0.1 for the session; a project's own ``lambda_moto_server`` wins."""
    pytest.importorskip("moto", reason="the AWS fixtures need moto[server]")
    pytest.importorskip("boto3", reason="the AWS fixtures need boto3")
    from django_lambda_bridge.testing.aws import MotoServer

    with MotoServer() as server:
        yield server


@pytest.fixture
def lambda_aws_env(lambda_moto_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point the project's own boto3 clients at the moto server, through the environment.

    Application code that calls ``boto3.client("sqs")`` with no arguments (as it
    should, so the same code runs on AWS) then reaches moto: ``AWS_ENDPOINT_URL``,
    dummy credentials and a region are set, and a developer's ``AWS_PROFILE`` or
    session token cannot leak real credentials into a test. Clients cached
    before the test keep their old endpoint: clear such caches yourself.
    """
    from django_lambda_bridge.testing.aws import CREDENTIALS

    monkeypatch.setenv("AWS_ENDPOINT_URL", lambda_moto_server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", lambda_moto_server.region)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return lambda_moto_server


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class SqsQueue:
    name: str
    url: str
    arn: str
    client: Any

    def send(self, body: str, **kwargs: Any) -> str:
        """Send one message; returns its MessageId."""
        reply = self.client.send_message(QueueUrl=self.url, MessageBody=body, **kwargs)
        return str(reply["MessageId"])

    def receive(self, max_messages: int = 10) -> list[dict[str, Any]]:
        """Take up to ``max_messages`` messages (with all attributes), without waiting."""
        reply = self.client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max_messages,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        return list(reply.get("Messages", []))


@dataclass(frozen=True)
class SnsTopic:
    name: str
    arn: str
    client: Any

    def subscribe_queue(self, queue: SqsQueue, raw: bool = False) -> str:
        """Deliver this topic's messages to ``queue``; returns the subscription ARN."""
        reply = self.client.subscribe(
            TopicArn=self.arn,
            Protocol="sqs",
            Endpoint=queue.arn,
            Attributes={"RawMessageDelivery": "true" if raw else "false"},
        )
        return str(reply["SubscriptionArn"])


@dataclass(frozen=True)
class S3Bucket:
    name: str
    client: Any

    def put(self, key: str, body: bytes | str, **kwargs: Any) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body, **kwargs)

    def get(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())


@pytest.fixture
def lambda_sqs_queue(lambda_moto_server: Any) -> Iterator[SqsQueue]:
    """A new, empty standard queue on the moto server, deleted after the test."""
    client = lambda_moto_server.client("sqs")
    name = _unique("test-queue")
    url = client.create_queue(QueueName=name)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    yield SqsQueue(name, url, arn, client)
    client.delete_queue(QueueUrl=url)


@pytest.fixture
def lambda_sns_topic(lambda_moto_server: Any) -> Iterator[SnsTopic]:
    """A new SNS topic on the moto server, deleted after the test."""
    client = lambda_moto_server.client("sns")
    name = _unique("test-topic")
    arn = client.create_topic(Name=name)["TopicArn"]
    yield SnsTopic(name, arn, client)
    client.delete_topic(TopicArn=arn)


@pytest.fixture
def lambda_s3_bucket(lambda_moto_server: Any) -> Iterator[S3Bucket]:
    """A new, empty S3 bucket on the moto server, emptied and deleted after the test."""
    client = lambda_moto_server.client("s3")
    name = _unique("test-bucket")
    client.create_bucket(Bucket=name)
    yield S3Bucket(name, client)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)
