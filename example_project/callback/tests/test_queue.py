"""Through Lambda, on real SQS: the moto server, real boto3, the project's own handler.

``SqsEventSource`` feeds the queue's messages to ``callback_service.lambda_function
.handler`` the way Lambda's event source mapping does (deletes what succeeded,
returns what failed); the queue dead-letters after ``maxReceiveCount`` receives.
The sweeper runs from a real EventBridge ``Scheduled Event`` through the same handler.
"""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks import outbox
from callbacks.models import Attempt, Callback, State
from django_lambda_bridge.testing import scheduled_event
from django_lambda_bridge.testing.aws import SqsEventSource
from django_lambda_bridge.testing.context import FakeContext
from tests.conftest import insert, lambda_handler, make_callback, message, refresh
from tests.receivers import RESET, SLOW

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def aws(lambda_aws_env):
    """boto3 inside the app reaches the moto server (the library's ``lambda_aws_env``)."""
    outbox._sqs.cache_clear()
    yield lambda_aws_env
    outbox._sqs.cache_clear()


def _arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


@pytest.fixture
def queues(aws, callback_settings):
    """The callbacks queue with a redrive policy to its DLQ, configured in settings."""
    sqs = aws.client("sqs")
    suffix = uuid.uuid4().hex[:10]
    dlq = sqs.create_queue(QueueName=f"callbacks-dlq-{suffix}")["QueueUrl"]
    work = sqs.create_queue(
        QueueName=f"callbacks-{suffix}",
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": "3"}
            )
        },
    )["QueueUrl"]
    callback_settings(QUEUE_URL=work, DLQ_URL=dlq)

    class Queues:
        client = sqs
        url = work
        dlq_url = dlq
        source = SqsEventSource(sqs, work, lambda_handler())

        @staticmethod
        def dead():
            return drain(sqs, dlq)

    yield Queues
    sqs.delete_queue(QueueUrl=work)
    sqs.delete_queue(QueueUrl=dlq)


def drain(sqs, url):
    taken = []
    while True:
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
        )  # fmt: skip
        messages = reply.get("Messages", [])
        if not messages:
            return taken
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        taken.extend(messages)


def pump(source, rounds=20):
    """Poll until the queue is empty, with nothing delayed either; every delivery's error."""
    errors = []
    for _ in range(rounds):
        delivery = source.poll()
        if delivery.error is not None:
            errors.append(delivery.error)
        if not delivery.received:
            left = source.client.get_queue_attributes(
                QueueUrl=source.queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
            )["Attributes"]["ApproximateNumberOfMessagesDelayed"]
            assert left == "0", f"{left} messages are still delayed in the queue"
            return errors
    raise AssertionError("the queue never drained")


def sweep_through_lambda():
    return lambda_handler()(scheduled_event("callback-sweeper"), FakeContext())


def test_insert_enqueues_and_the_sender_delivers(acme, receiver, queues):
    reply = insert(acme[1], receiver.url("/hook"))
    assert reply.status_code == 201
    callback = Callback.objects.get(pk=reply.json()["id"])
    assert callback.state == State.PENDING and receiver.requests == []  # queued, not sent

    delivery = queues.source.poll()
    assert delivery.error is None, delivery.error
    assert delivery.reply == {"batchItemFailures": []}
    assert len(delivery.deleted) == 1
    assert refresh(callback).state == State.DELIVERED
    assert [h.verified for h in receiver.hits("/hook")] == [True]
    assert queues.source.poll().received == []


def test_retries_go_back_through_the_queue_then_deliver(acme, receiver, queues):
    receiver.script("/flaky", (500, {}, b""), RESET, SLOW(1.5), (200, {}, b"ok"))
    callback = Callback.objects.get(pk=insert(acme[1], receiver.url("/flaky")).json()["id"])
    assert pump(queues.source) == []
    callback = refresh(callback)
    assert callback.state == State.DELIVERED and callback.attempt_count == 4
    assert [a.outcome for a in Attempt.objects.filter(callback=callback)] == [
        "retry", "retry", "retry", "delivered"
    ]  # fmt: skip
    assert queues.dead() == []


def test_a_dead_callback_lands_in_the_dlq(acme, receiver, queues, callback_settings):
    callback_settings(MAX_ATTEMPTS=2)
    receiver.script("/down", (503, {}, b""))
    callback = Callback.objects.get(pk=insert(acme[1], receiver.url("/down")).json()["id"])
    assert pump(queues.source) == []
    assert refresh(callback).state == State.DEAD
    (dead,) = queues.dead()
    assert json.loads(dead["Body"]) == {"callback_id": str(callback.pk), "attempt": 2}
    reason = dead["MessageAttributes"]["reason"]["StringValue"]
    assert reason == "HTTP 503; gave up after 2 attempts"
    assert refresh(callback).dead_lettered_at is not None


def test_a_permanent_failure_lands_in_the_dlq_at_once(acme, receiver, queues):
    receiver.script("/gone", (410, {}, b"gone"))
    callback = Callback.objects.get(pk=insert(acme[1], receiver.url("/gone")).json()["id"])
    assert pump(queues.source) == []
    assert refresh(callback).state == State.DEAD
    assert [json.loads(m["Body"])["callback_id"] for m in queues.dead()] == [str(callback.pk)]


@pytest.mark.parametrize("body", ["not json", "{}", '{"callback_id": "x", "attempt": 1}',
                                  '{"callback_id": "%s", "attempt": 0}' % uuid.uuid4()])  # fmt: skip
def test_a_malformed_message_is_retried_then_dead_lettered_unchanged(acme, receiver, queues, body):
    good = make_callback(acme[0], receiver.url("/hook"))
    bad_id = queues.client.send_message(QueueUrl=queues.url, MessageBody=body)["MessageId"]
    queues.client.send_message(QueueUrl=queues.url, MessageBody=message(good.pk))
    pump(queues.source)
    assert refresh(good).state == State.DELIVERED
    dead = queues.dead()
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(bad_id, body)]


@pytest.mark.parametrize("same_batch", [True, False], ids=["one-batch", "two-polls"])
def test_duplicate_messages_record_one_success(acme, receiver, queues, same_batch):
    callback = make_callback(acme[0], receiver.url("/hook"))
    if same_batch:
        for _ in range(3):
            queues.client.send_message(QueueUrl=queues.url, MessageBody=message(callback.pk))
        pump(queues.source)
    else:
        for _ in range(3):
            queues.client.send_message(QueueUrl=queues.url, MessageBody=message(callback.pk))
            pump(queues.source)
    assert refresh(callback).state == State.DELIVERED
    assert len(receiver.hits("/hook")) == 1
    assert [a.outcome for a in Attempt.objects.filter(callback=callback)] == ["delivered"]


def test_a_late_duplicate_never_moves_a_delivered_callback_back(acme, receiver, queues):
    callback = make_callback(acme[0], receiver.url("/hook"))
    queues.client.send_message(QueueUrl=queues.url, MessageBody=message(callback.pk))
    pump(queues.source)
    delivered_at = refresh(callback).delivered_at
    receiver.script("/hook", (500, {}, b""))
    for attempt in (1, 2):  # the same message again, and one for a later attempt
        queues.client.send_message(QueueUrl=queues.url, MessageBody=message(callback.pk, attempt))
    pump(queues.source)
    callback = refresh(callback)
    assert callback.state == State.DELIVERED and callback.delivered_at == delivered_at
    assert len(receiver.hits("/hook")) == 1


def test_a_crash_between_insert_and_enqueue_is_repaired_by_the_sweeper(
    acme, receiver, queues, callback_settings
):
    callback_settings(SWEEP_AFTER_SECONDS=60)
    # The row committed; the process died before its after-commit enqueue ran.
    lost = make_callback(acme[0], receiver.url("/hook"),
                         next_attempt_at=timezone.now() - timedelta(minutes=5))  # fmt: skip
    # A sender died holding a lease on another one.
    held = make_callback(acme[0], receiver.url("/hook"), state=State.DELIVERING,
                         attempt_count=1, lease_token=uuid.uuid4(),
                         lease_expires_at=timezone.now() - timedelta(seconds=1))  # fmt: skip
    fresh = make_callback(acme[0], receiver.url("/hook"))  # its message is still on the way
    assert queues.source.poll().received == []

    assert sweep_through_lambda() == {"found": 2, "enqueued": 2}
    assert pump(queues.source) == []
    assert refresh(lost).state == State.DELIVERED
    assert refresh(held).state == State.DELIVERED
    assert [a.outcome for a in Attempt.objects.filter(callback=held)] == ["retry", "delivered"]
    assert refresh(fresh).state == State.PENDING
    assert len(receiver.hits("/hook")) == 2
    assert sweep_through_lambda() == {"found": 0, "enqueued": 0}


def test_an_enqueue_that_fails_after_commit_is_repaired_by_the_sweeper(
    acme, receiver, queues, callback_settings, caplog
):
    callback_settings(QUEUE_URL=queues.url + "-missing")
    reply = insert(acme[1], receiver.url("/hook"))
    assert reply.status_code == 201  # the client has its callback; the enqueue failed
    assert "the sweeper will" in caplog.text
    callback = Callback.objects.get(pk=reply.json()["id"])
    callback_settings(QUEUE_URL=queues.url, SWEEP_AFTER_SECONDS=0)
    assert sweep_through_lambda()["enqueued"] == 1
    pump(queues.source)
    assert refresh(callback).state == State.DELIVERED


def test_every_callback_ends_delivered_or_dead_and_none_is_lost(
    acme, receiver, queues, callback_settings
):
    callback_settings(MAX_ATTEMPTS=3, READ_TIMEOUT_SECONDS=0.3)
    scripts = {
        "/ok": [(200, {}, b"ok")],
        "/flaky": [(500, {"Retry-After": "0"}, b""), (200, {}, b"ok")],
        "/gone": [(404, {}, b"")],
        "/busy": [(429, {}, b""), (429, {}, b""), (202, {}, b"")],
        "/slow": [SLOW(0.6)],
        "/reset": [RESET, (200, {}, b"")],
        "/moved": [(302, {"Location": "http://10.0.0.1/"}, b"")],
    }
    for path, replies in scripts.items():
        receiver.script(path, *replies)
    ids = [
        insert(acme[1], receiver.url(path), key=f"{path}-{n}").json()["id"]
        for path in scripts
        for n in range(3)
    ]
    assert pump(queues.source, rounds=40) == []
    states = dict(Callback.objects.filter(pk__in=ids).values_list("pk", "state"))
    assert len(states) == len(ids) == 21
    by_path = {}
    for callback in Callback.objects.filter(pk__in=ids):
        by_path.setdefault(callback.url.rsplit("/", 1)[-1], set()).add(callback.state)
    assert by_path == {
        "ok": {"delivered"}, "flaky": {"delivered"}, "gone": {"dead"}, "busy": {"delivered"},
        "slow": {"dead"}, "reset": {"delivered"}, "moved": {"dead"},
    }  # fmt: skip
    dead_ids = {json.loads(m["Body"])["callback_id"] for m in queues.dead()}
    assert dead_ids == {str(pk) for pk, state in states.items() if state == "dead"}
    assert Attempt.objects.filter(outcome="delivered").count() == 12


def test_a_long_wait_is_sent_on_in_15_minute_hops(acme, receiver, queues):
    callback = make_callback(acme[0], receiver.url("/hook"),
                             next_attempt_at=timezone.now() + timedelta(hours=1))  # fmt: skip
    sqs = outbox._sqs()  # the app's real client; we watch what it sends
    sent = []
    real_send = sqs.send_message
    sqs.send_message = lambda **kw: sent.append(kw) or real_send(**kw)
    try:
        queues.client.send_message(QueueUrl=queues.url, MessageBody=message(callback.pk))
        delivery = queues.source.poll()
    finally:
        del sqs.send_message
    assert delivery.deleted == delivery.received and len(delivery.received) == 1
    assert refresh(callback).state == State.PENDING and receiver.requests == []
    ((hop,),) = [[kw] for kw in sent]
    assert hop["DelaySeconds"] == 900 and hop["QueueUrl"] == queues.url
    assert json.loads(hop["MessageBody"]) == {"callback_id": str(callback.pk), "attempt": 1}
    attributes = queues.client.get_queue_attributes(
        QueueUrl=queues.url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"  # in the queue, not lost
    assert queues.source.poll().received == []  # and not visible before its delay


def test_a_dlq_copy_that_failed_is_sent_by_the_sweeper(acme, receiver, queues, callback_settings):
    callback_settings(DLQ_URL=queues.dlq_url + "-missing")
    receiver.script("/gone", (410, {}, b""))
    callback = Callback.objects.get(pk=insert(acme[1], receiver.url("/gone")).json()["id"])
    pump(queues.source)
    callback = refresh(callback)
    assert callback.state == State.DEAD and callback.dead_lettered_at is None
    callback_settings(DLQ_URL=queues.dlq_url, SWEEP_AFTER_SECONDS=0)
    sweep_through_lambda()
    assert refresh(callback).dead_lettered_at is not None
    assert [json.loads(m["Body"])["callback_id"] for m in queues.dead()] == [str(callback.pk)]
    sweep_through_lambda()
    assert queues.dead() == []  # sent once


def test_too_little_time_left_sends_nothing_and_returns_the_batch(acme, receiver, queues):
    callback = make_callback(acme[0], receiver.url("/hook"))
    queues.client.send_message(QueueUrl=queues.url, MessageBody=message(callback.pk))
    source = SqsEventSource(
        queues.client, queues.url, lambda_handler(), context_factory=lambda: FakeContext(timeout_ms=2500)
    )
    delivery = source.poll()
    assert delivery.returned == delivery.received and len(delivery.received) == 1
    assert receiver.requests == [] and refresh(callback).state == State.PENDING


def test_a_manual_retry_is_a_task_the_sender_function_runs(acme, receiver, queues, callback_settings):
    from callbacks.tasks import redeliver

    callback_settings(MAX_ATTEMPTS=1)
    receiver.script("/later", (500, {}, b""), (200, {}, b"ok"))
    user, client = acme
    callback = Callback.objects.get(pk=insert(client, receiver.url("/later")).json()["id"])
    assert pump(queues.source) == []
    assert refresh(callback).state == State.DEAD
    queues.dead()

    assert client.post(f"/api/v1/callbacks/{callback.pk}/retry/").status_code == 202
    [queued] = queues.client.receive_message(QueueUrl=queues.url, VisibilityTimeout=0)["Messages"]
    task = json.loads(queued["Body"])
    assert (task["task"], task["args"]) == ("callbacks.tasks.redeliver", [str(callback.pk), 2])

    assert pump(queues.source) == []  # the sender function runs it, beside its own messages
    assert refresh(callback).state == State.DELIVERED
    assert [h.verified for h in receiver.hits("/later")] == [True, True]
    result = redeliver.get_result(task["id"])
    assert (result.status, result.return_value) == ("SUCCESSFUL", State.DELIVERED)
