"""A real AWS API on 127.0.0.1 for tests: moto's server, reached through real boto3.

Tests talk HTTP to a moto server rather than patching boto3, so request
signing, serialisation, pagination and error codes are all exercised the way
they are against AWS. Nothing here reaches beyond the loopback interface.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account id
#: Dummy credentials: moto accepts anything, and real ones must never be picked up.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class MotoServer:
    """Start moto's threaded server on 127.0.0.1 and a free port, for one ``with`` block.

    ``.client("sqs")`` gives a real boto3 client bound to it. ``reset()`` wipes
    every service's state so one server can be shared by a whole session.
    """

    def __init__(self, region: str = REGION) -> None:
        self.region = region
        self._server: ThreadedMotoServer | None = None
        self._endpoint_url: str | None = None

    def start(self) -> MotoServer:
        from moto.server import ThreadedMotoServer

        # Port 0 lets the OS pick a free port atomically; no probe-then-bind race.
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self._endpoint_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise RuntimeError("MotoServer is not running: use it as a context manager first.")
        return self._endpoint_url

    def client(self, service: str, **kwargs: Any) -> Any:
        """A real boto3 client for ``service`` on this server, with dummy credentials."""
        import boto3  # type: ignore[import-untyped, unused-ignore]

        options: dict[str, Any] = {
            "region_name": self.region,
            "endpoint_url": self.endpoint_url,
            **CREDENTIALS,
        }
        options.update(kwargs)
        # A private session ignores AWS_PROFILE and shared config on the test machine.
        session = boto3.session.Session()
        return session.client(service, **options)

    def reset(self) -> None:
        """Forget every queue, topic, bucket and rule created so far."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


@dataclass
class Delivery:
    """What one poll of an ``SqsEventSource`` did."""

    received: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    error: BaseException | None = None
    reply: Any = None


class SqsEventSource:
    """Feed a real queue's messages to a handler as Lambda's SQS event source mapping does.

    Each ``poll()`` receives up to ``batch_size`` messages, builds the Lambda
    event, calls ``handler(event, context)``, deletes what succeeded and makes
    failed messages visible again at once (so tests need not wait out the
    visibility timeout). If the handler raises, the whole batch is returned.
    With ``lambda_visibility=True`` failed messages are left as Lambda leaves
    them: hidden until their visibility timeout ends, or until the time a
    handler set with ``ChangeMessageVisibility`` (a retry backoff).
    A queue's redrive policy then moves a message to its dead-letter queue
    after ``maxReceiveCount`` receives, exactly as on AWS.
    """

    def __init__(
        self,
        client: Any,
        queue_url: str,
        handler: Callable[[dict[str, Any], Any], Any],
        *,
        batch_size: int = 10,
        context_factory: Callable[[], Any] | None = None,
        lambda_visibility: bool = False,
    ) -> None:
        from django_lambda_bridge.testing.context import FakeContext

        self.client = client
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = batch_size
        self.lambda_visibility = lambda_visibility
        self.context_factory = context_factory or FakeContext
        attributes = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        self.queue_arn: str = attributes["Attributes"]["QueueArn"]

    def poll(self) -> Delivery:
        from django_lambda_bridge.testing.records import sqs_event_from_messages

        response = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = response.get("Messages", [])
        delivery = Delivery(received=[m["MessageId"] for m in messages])
        if not messages:
            return delivery
        event = sqs_event_from_messages(messages, self.queue_arn, self.client.meta.region_name)
        try:
            delivery.reply = self.handler(event, self.context_factory())
        except Exception as exc:
            delivery.error = exc
            failed = set(delivery.received)
        else:
            reply = delivery.reply if isinstance(delivery.reply, dict) else {}
            failed = {f["itemIdentifier"] for f in reply.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] in failed:
                if not self.lambda_visibility:
                    self.client.change_message_visibility(
                        QueueUrl=self.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )
                delivery.returned.append(message["MessageId"])
            else:
                self.client.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
                delivery.deleted.append(message["MessageId"])
        return delivery
