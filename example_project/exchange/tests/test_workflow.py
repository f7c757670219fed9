"""The work after a submission, with real parts: a real HTTP callme, real SQS and EventBridge.

The callme API is a ``http.server`` on 127.0.0.1 in a thread; SQS and EventBridge
are moto's server (the library's ``lambda_moto_server``), reached through real
boto3; the worker is the project's own Lambda entry point fed by the library's
``SqsEventSource``, which deletes or returns messages the way Lambda does.
Nothing leaves the loopback interface.
"""

import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from django_lambda_bridge.testing.aws import SqsEventSource
from messaging import outbound, workflow
from messaging.models import ExchangeMessage, MessageEvent
from messaging.tasks import process_message
from messaging.states import State
from tests.conftest import submit

CALLME_PATH = "/api/v1/callbacks/"


# ----- a real callme API on 127.0.0.1 ---------------------------------------------


class CallmeServer:
    """Records every request; answers with ``self.answer(body) -> (status, json)``."""

    def __init__(self):
        self.requests = []
        self.answer = lambda body: (201, {"id": f"cb-{len(self.requests)}"})
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                server.requests.append(
                    {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body}
                )
                status, reply = server.answer(body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{CALLME_PATH}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@pytest.fixture
def callme(exchange_settings, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = CallmeServer()
    exchange_settings(CALLME_URL=server.url, CALLME_TOKEN="t0ken")
    yield server
    server.close()


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def trail(message):
    return [event.to_state for event in MessageEvent.objects.filter(message=message)]


def state_of(message_id):
    return ExchangeMessage.objects.get(pk=message_id).state


# ----- 1. in process, no queue ------------------------------------------------------


@pytest.mark.django_db
def test_in_process_submission_is_delivered_through_callme(
    acme, partners, callme, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level("INFO", logger="messaging.outbound")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reply = submit(acme, "globex", payload={"order": "A-1"}, correlation_id="corr-1")
    assert reply.status_code == 201, reply.content
    assert len(callbacks) == 1
    message_id = reply.json()["id"]

    message = ExchangeMessage.objects.get(pk=message_id)
    assert message.state == State.DELIVERED
    assert trail(message) == ["received", "validated", "routed", "delivered"]
    assert message.events.last().reason == "callback cb-1"

    assert len(callme.requests) == 1
    request = callme.requests[0]
    assert request["method"] == "POST" and request["path"] == CALLME_PATH
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Idempotency-Key"] == f"exchange-{message_id}"
    assert request["headers"]["Authorization"] == "Token t0ken"
    body = request["body"]
    assert body["url"] == partners["globex"].webhook_url
    assert body["event_type"] == "exchange.message.delivered"
    assert body["payload"] == {
        "message_id": message_id,
        "sender": "acme",
        "recipient": "globex",
        "type": "order.created",
        "correlation_id": "corr-1",
    }
    # No bus configured: the domain event is logged, once.
    published = [r for r in caplog.records if r.getMessage().startswith("MessageDelivered ")]
    assert len(published) == 1 and message_id in published[0].getMessage()


# ----- 2. callme failures ------------------------------------------------------------


@pytest.mark.django_db
def test_callme_500_leaves_it_routed_and_a_retry_delivers_with_the_same_key(make_message, callme):
    message = make_message()
    callme.answer = lambda body: (500, {"detail": "down"})
    with pytest.raises(outbound.TransientError, match="500"):
        workflow.process(message.pk)
    assert state_of(message.pk) == State.ROUTED
    assert trail(message) == ["received", "validated", "routed"]

    callme.answer = lambda body: (201, {"id": "cb-42"})
    assert workflow.process(message.pk).state == State.DELIVERED
    assert state_of(message.pk) == State.DELIVERED
    assert trail(message) == ["received", "validated", "routed", "delivered"]
    keys = [r["headers"]["Idempotency-Key"] for r in callme.requests]
    assert keys == [f"exchange-{message.pk}"] * 2


@pytest.mark.parametrize("status", [408, 429, 503])
@pytest.mark.django_db
def test_callme_retryable_statuses_are_transient(make_message, callme, status):
    message = make_message()
    callme.answer = lambda body: (status, {})
    with pytest.raises(outbound.TransientError, match=str(status)):
        workflow.process(message.pk)
    assert state_of(message.pk) == State.ROUTED


@pytest.mark.django_db
def test_callme_400_fails_the_message_with_the_reason(make_message, callme, caplog):
    caplog.set_level("INFO", logger="messaging.outbound")
    message = make_message()
    callme.answer = lambda body: (400, {"detail": "bad url"})
    assert workflow.process(message.pk).state == State.FAILED
    assert state_of(message.pk) == State.FAILED
    last = MessageEvent.objects.filter(message=message).last()
    assert (last.from_state, last.to_state) == ("routed", "failed")
    assert last.reason == "callme refused the callback: 400"
    assert len(callme.requests) == 1
    assert not [r for r in caplog.records if r.getMessage().startswith("MessageDelivered ")]
    # A failed message is final: processing again sends nothing.
    assert workflow.process(message.pk).state == State.FAILED
    assert len(callme.requests) == 1


@pytest.mark.django_db
def test_callme_unreachable_is_transient(make_message, exchange_settings):
    exchange_settings(CALLME_URL=f"http://127.0.0.1:{closed_port()}{CALLME_PATH}")
    message = make_message()
    with pytest.raises(outbound.TransientError, match="unreachable"):
        workflow.process(message.pk)
    assert state_of(message.pk) == State.ROUTED


# ----- 3. recipient deactivated after submission ------------------------------------


@pytest.mark.django_db
def test_inactive_recipient_fails_and_publishes_nothing(make_message, partners, callme, caplog):
    caplog.set_level("INFO", logger="messaging.outbound")
    message = make_message()
    partners["globex"].is_active = False
    partners["globex"].save()

    assert workflow.process(message.pk).state == State.FAILED
    assert trail(message) == ["received", "validated", "failed"]
    assert MessageEvent.objects.filter(message=message).last().reason == (
        "recipient globex is inactive"
    )
    assert callme.requests == []
    assert not [r for r in caplog.records if r.getMessage().startswith("MessageDelivered ")]


# ----- moto: SQS work queue, EventBridge bus --------------------------------------------


@pytest.fixture
def aws(lambda_aws_env):
    """boto3 inside the app reaches the moto server (the library's ``lambda_aws_env``)."""
    outbound._client.cache_clear()
    yield lambda_aws_env
    outbound._client.cache_clear()


def _unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


@pytest.fixture
def event_queue(aws):
    """A bus whose MessageDelivered events land in an SQS queue: ``(bus_name, queue_url)``."""
    sqs, bridge = aws.client("sqs"), aws.client("events")
    bus = _unique("exchange-bus")
    bus_arn = bridge.create_event_bus(Name=bus)["EventBusArn"]
    queue_url = sqs.create_queue(QueueName=_unique("delivered"))["QueueUrl"]
    queue_arn = _queue_arn(sqs, queue_url)
    rule = _unique("delivered-rule")
    rule_arn = bridge.put_rule(
        Name=rule,
        EventBusName=bus,
        EventPattern=json.dumps(
            {"source": ["exchange.messages"], "detail-type": ["MessageDelivered"]}
        ),
    )["RuleArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    bridge.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "to-sqs", "Arn": queue_arn}])
    assert bus_arn.endswith(f"event-bus/{bus}")
    yield bus, queue_url
    bridge.remove_targets(Rule=rule, EventBusName=bus, Ids=["to-sqs"])
    bridge.delete_rule(Name=rule, EventBusName=bus)
    bridge.delete_event_bus(Name=bus)
    sqs.delete_queue(QueueUrl=queue_url)


def drain(sqs, url):
    """Every message now in ``url`` (received and deleted)."""
    taken = []
    while True:
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
        )
        messages = reply.get("Messages", [])
        if not messages:
            return taken
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        taken.extend(messages)


def delivered_events(sqs, url):
    return [json.loads(m["Body"]) for m in drain(sqs, url)]


def lambda_handler():
    from exchange_service.lambda_function import handler

    return handler


# ----- 4. end to end ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_end_to_end_through_the_queue_the_worker_and_the_bus(
    acme, partners, callme, aws, lambda_sqs_queue, event_queue, exchange_settings
):
    bus, delivered_url = event_queue
    sqs = lambda_sqs_queue.client
    exchange_settings(WORK_QUEUE_URL=lambda_sqs_queue.url, EVENT_BUS_NAME=bus)

    reply = submit(acme, "globex", correlation_id="corr-e2e")
    assert reply.status_code == 201, reply.content
    message_id = reply.json()["id"]
    # Committed and queued, not worked on.
    assert state_of(message_id) == State.RECEIVED
    assert callme.requests == []

    # The routing step travels as a django.tasks task, sent when the submission committed.
    [queued] = lambda_sqs_queue.receive()
    sqs.change_message_visibility(
        QueueUrl=lambda_sqs_queue.url, ReceiptHandle=queued["ReceiptHandle"], VisibilityTimeout=0
    )
    task = json.loads(queued["Body"])
    assert (task["task"], task["args"]) == ("messaging.tasks.process_message", [message_id])

    source = SqsEventSource(sqs, lambda_sqs_queue.url, lambda_handler())
    delivery = source.poll()
    assert delivery.error is None, delivery.error
    assert len(delivery.received) == 1
    assert delivery.deleted == delivery.received and delivery.returned == []
    assert delivery.reply == {"batchItemFailures": []}

    message = ExchangeMessage.objects.get(pk=message_id)
    assert message.state == State.DELIVERED
    assert trail(message) == ["received", "validated", "routed", "delivered"]
    assert len(callme.requests) == 1
    assert callme.requests[0]["headers"]["Idempotency-Key"] == f"exchange-{message_id}"
    assert callme.requests[0]["body"]["url"] == partners["globex"].webhook_url

    envelopes = delivered_events(sqs, delivered_url)
    assert len(envelopes) == 1
    envelope = envelopes[0]
    assert envelope["source"] == "exchange.messages"
    assert envelope["detail-type"] == "MessageDelivered"
    assert envelope["detail"] == {
        "message_id": message_id,
        "sender": "acme",
        "recipient": "globex",
        "type": "order.created",
        "correlation_id": "corr-e2e",
    }
    # The work queue is empty now, and the task's result says how far the message went.
    assert source.poll().received == []
    result = process_message.get_result(task["id"])
    assert (result.status, result.return_value) == ("SUCCESSFUL", State.DELIVERED)


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_after_commit_keeps_the_201_and_process_messages_requeues_it(
    acme, aws, lambda_sqs_queue, callme, exchange_settings, caplog
):
    from django.core.management import call_command

    exchange_settings(WORK_QUEUE_URL=lambda_sqs_queue.url.rsplit("/", 1)[0] + "/gone")
    reply = submit(acme, "globex")
    assert reply.status_code == 201, reply.content  # the partner's submission is safe
    message_id = reply.json()["id"]
    assert state_of(message_id) == State.RECEIVED
    assert "could not be sent" in caplog.text

    exchange_settings(WORK_QUEUE_URL=lambda_sqs_queue.url)
    call_command("process_messages", "--older-than", "0")
    source = SqsEventSource(lambda_sqs_queue.client, lambda_sqs_queue.url, lambda_handler())
    assert source.poll().deleted
    assert state_of(message_id) == State.DELIVERED


# ----- 5. poison messages and partial batch failures -------------------------------------


@pytest.fixture
def redriven_queue(aws):
    """A work queue that dead-letters after 2 receives: ``(work_url, dlq_url)``."""
    sqs = aws.client("sqs")
    dlq_url = sqs.create_queue(QueueName=_unique("work-dlq"))["QueueUrl"]
    work_url = sqs.create_queue(
        QueueName=_unique("work"),
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": _queue_arn(sqs, dlq_url), "maxReceiveCount": "2"}
            )
        },
    )["QueueUrl"]
    yield work_url, dlq_url
    sqs.delete_queue(QueueUrl=work_url)
    sqs.delete_queue(QueueUrl=dlq_url)


@pytest.mark.parametrize("body", ["not json", '{"message_id": "nope"}', '{"id": 1}', "[]"])
@pytest.mark.django_db(transaction=True)
def test_poison_work_item_is_retried_then_dead_lettered_unchanged(
    aws, redriven_queue, make_message, callme, body
):
    untouched = make_message()
    healthy = make_message(payload={"order": "H-1"})
    work_url, dlq_url = redriven_queue
    sqs = aws.client("sqs")
    before = (ExchangeMessage.objects.count(), MessageEvent.objects.count())
    poison_id = sqs.send_message(QueueUrl=work_url, MessageBody=body)["MessageId"]
    healthy_id = sqs.send_message(
        QueueUrl=work_url, MessageBody=json.dumps({"message_id": str(healthy.pk)})
    )["MessageId"]
    source = SqsEventSource(sqs, work_url, lambda_handler())

    # Receive 1, beside a good record: only the poison one is reported failed.
    delivery = source.poll()
    assert delivery.error is None, delivery.error
    assert sorted(delivery.received) == sorted([poison_id, healthy_id])
    assert delivery.reply == {"batchItemFailures": [{"itemIdentifier": poison_id}]}
    assert delivery.returned == [poison_id] and delivery.deleted == [healthy_id]
    assert state_of(healthy.pk) == State.DELIVERED

    # Receive 2, alone: every record failed, so the handler raises (the library's
    # BatchFailedError) and the whole batch goes back.
    delivery = source.poll()
    assert delivery.received == [poison_id]
    assert type(delivery.error).__name__ == "BatchFailedError"
    assert "MalformedWorkItem" in str(delivery.error)
    assert delivery.returned == [poison_id] and delivery.deleted == []

    # The next receive finds it over maxReceiveCount 2: SQS has moved it to the DLQ.
    assert source.poll().received == []
    dead = drain(sqs, dlq_url)
    assert [m["MessageId"] for m in dead] == [poison_id]
    assert dead[0]["Body"] == body

    # The poison record changed nothing: no message made, only the healthy trail added.
    assert ExchangeMessage.objects.count() == before[0]
    assert MessageEvent.objects.count() == before[1] + 3
    assert state_of(untouched.pk) == State.RECEIVED and trail(untouched) == ["received"]
    assert [r["body"]["payload"]["message_id"] for r in callme.requests] == [str(healthy.pk)]


@pytest.mark.django_db(transaction=True)
def test_transient_failure_fails_only_its_record_in_the_batch(
    aws, lambda_sqs_queue, make_message, callme, exchange_settings
):
    exchange_settings(WORK_QUEUE_URL=lambda_sqs_queue.url)
    sick, healthy = make_message(), make_message(payload={"order": "B-2"})
    callme.answer = lambda body: (
        (503, {}) if body["payload"]["message_id"] == str(sick.pk) else (201, {"id": "cb-ok"})
    )
    sick_id = lambda_sqs_queue.send(json.dumps({"message_id": str(sick.pk)}))
    healthy_id = lambda_sqs_queue.send(json.dumps({"message_id": str(healthy.pk)}))
    source = SqsEventSource(lambda_sqs_queue.client, lambda_sqs_queue.url, lambda_handler())

    delivery = source.poll()
    assert delivery.error is None, delivery.error
    assert sorted(delivery.received) == sorted([sick_id, healthy_id])  # one batch
    assert delivery.reply == {"batchItemFailures": [{"itemIdentifier": sick_id}]}
    assert delivery.returned == [sick_id] and delivery.deleted == [healthy_id]
    assert state_of(sick.pk) == State.ROUTED
    assert state_of(healthy.pk) == State.DELIVERED

    # callme recovers: the returned record is delivered on the next poll, same key.
    callme.answer = lambda body: (201, {"id": "cb-later"})
    delivery = source.poll()
    assert delivery.received == [sick_id] and delivery.deleted == [sick_id]
    assert state_of(sick.pk) == State.DELIVERED
    sick_keys = [
        r["headers"]["Idempotency-Key"]
        for r in callme.requests
        if r["body"]["payload"]["message_id"] == str(sick.pk)
    ]
    assert sick_keys == [f"exchange-{sick.pk}"] * 2
    assert source.poll().received == []


# ----- 6. duplicate delivery -----------------------------------------------------------------


@pytest.mark.parametrize("same_batch", [False, True], ids=["two-polls", "one-batch"])
@pytest.mark.django_db(transaction=True)
def test_duplicate_work_item_makes_one_callback_and_one_event(
    aws, lambda_sqs_queue, event_queue, make_message, callme, exchange_settings, same_batch
):
    bus, delivered_url = event_queue
    exchange_settings(WORK_QUEUE_URL=lambda_sqs_queue.url, EVENT_BUS_NAME=bus)
    message = make_message()
    item = json.dumps({"message_id": str(message.pk)})
    source = SqsEventSource(lambda_sqs_queue.client, lambda_sqs_queue.url, lambda_handler())

    if same_batch:
        sent = [lambda_sqs_queue.send(item), lambda_sqs_queue.send(item)]
        deliveries = [source.poll()]
    else:
        sent = [lambda_sqs_queue.send(item)]
        deliveries = [source.poll()]
        sent.append(lambda_sqs_queue.send(item))
        deliveries.append(source.poll())
    assert sorted(sum((d.deleted for d in deliveries), [])) == sorted(sent)
    assert all(d.returned == [] and d.error is None for d in deliveries)

    assert state_of(message.pk) == State.DELIVERED
    assert trail(message) == ["received", "validated", "routed", "delivered"]
    assert len(callme.requests) == 1
    envelopes = delivered_events(lambda_sqs_queue.client, delivered_url)
    assert [e["detail"]["message_id"] for e in envelopes] == [str(message.pk)]
