"""Task queues on the moto server, and the backend pointed at them for one test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from django_lambda_bridge import make_handler
from django_lambda_bridge.tasks import sqs as task_sqs
from django_lambda_bridge.testing.aws import SqsEventSource
from tests.tasks import jobs

BACKEND = "django_lambda_bridge.tasks.SQSBackend"


@pytest.fixture(scope="module")
def handler():
    return make_handler("tests.settings")


@pytest.fixture(autouse=True)
def _fresh_calls():
    jobs.CALLS.clear()
    yield
    jobs.CALLS.clear()


class Queues:
    def __init__(self, client: Any) -> None:
        self.client = client
        suffix = uuid.uuid4().hex[:8]
        self.dlq = self.make(f"tasks-dlq-{suffix}")
        policy = {"deadLetterTargetArn": self.arn(self.dlq), "maxReceiveCount": "20"}
        self.default = self.make(f"tasks-{suffix}", RedrivePolicy=json.dumps(policy))
        self.other = self.make(f"tasks-other-{suffix}")

    def make(self, name: str, **attributes: str) -> str:
        attributes.setdefault("VisibilityTimeout", "30")
        return str(self.client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])

    def arn(self, url: str) -> str:
        reply = self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(reply["Attributes"]["QueueArn"])

    def messages(self, url: str, wait: int = 0) -> list[dict[str, Any]]:
        reply = self.client.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=wait,
            VisibilityTimeout=0,  # a look, not a take
        )
        return list(reply.get("Messages", []))

    def count(self, url: str) -> int:
        reply = self.client.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
                            "ApproximateNumberOfMessagesNotVisible"],
        )  # fmt: skip
        return sum(int(v) for v in reply["Attributes"].values())


@pytest.fixture
def queues(lambda_aws_env) -> Iterator[Queues]:
    task_sqs.reset_clients()  # clients made for another endpoint must not be reused
    made = Queues(lambda_aws_env.client("sqs"))
    yield made
    task_sqs.reset_clients()


@pytest.fixture
def use_tasks(settings, queues) -> Callable[..., None]:
    """``use_tasks(**OPTIONS)``: TASKS['default'] is an SQSBackend on the test's queues."""

    def configure(**options: Any) -> None:
        options.setdefault("QUEUE_URLS", {"default": queues.default, "other": queues.other})
        options.setdefault("BACKOFF_BASE_SECONDS", 0)
        settings.TASKS = {"default": {"BACKEND": BACKEND, "OPTIONS": options}}

    configure()
    return configure


@pytest.fixture
def pump(queues, handler) -> Callable[..., SqsEventSource]:
    def make(url: str | None = None, **kwargs: Any) -> SqsEventSource:
        kwargs.setdefault("lambda_visibility", True)
        return SqsEventSource(queues.client, url or queues.default, handler, **kwargs)

    return make
