"""The worker is the event router: task messages run from a real queue through the handler."""

from __future__ import annotations

import json
import logging
import time

import pytest

from django_lambda_bridge.tasks import compat
from django_lambda_bridge.tasks.envelope import MARKER
from django_lambda_bridge.tasks.models import TaskRecord
from django_lambda_bridge.testing import FakeContext, sqs_record
from tests.tasks import jobs

pytestmark = pytest.mark.django_db(transaction=True)


def ours(caplog):
    """Log text from everything but the AWS SDK and HTTP client (whose DEBUG logs bodies)."""
    foreign = ("botocore", "boto3", "urllib3", "werkzeug", "s3transfer")
    return "\n".join(
        f"{r.getMessage()}\n{r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith(foreign)
    )


def drain(source, polls=8):
    return [source.poll() for _ in range(polls)]


def test_the_worker_runs_the_task_and_the_result_reads_back(use_tasks, queues, pump):
    result = jobs.add.enqueue(2, 3)
    [delivery] = drain(pump(), 1)

    assert delivery.deleted == delivery.received
    assert jobs.CALLS == [("add", (2, 3))]
    done = jobs.add.get_result(result.id)
    assert done.status == compat.TaskResultStatus.SUCCESSFUL
    assert done.return_value == 5
    assert done.attempts == 1
    assert done.started_at is not None
    assert done.finished_at >= done.started_at
    assert done.errors == []
    result.refresh()
    assert result.return_value == 5


def test_a_failing_task_is_retried_then_succeeds(use_tasks, queues, pump):
    result = jobs.fail_until.enqueue(3)
    deliveries = drain(pump())

    assert [c for c in jobs.CALLS] == [("fail_until", 1), ("fail_until", 2), ("fail_until", 3)]
    assert [len(d.returned) for d in deliveries[:3]] == [1, 1, 0]
    done = jobs.fail_until.get_result(result.id)
    assert done.status == compat.TaskResultStatus.SUCCESSFUL
    assert done.return_value == 3
    assert done.attempts == 3
    assert [e.exception_class_path for e in done.errors] == ["builtins.RuntimeError"] * 2
    assert "not yet: attempt 1" in done.errors[0].traceback
    assert queues.count(queues.default) == 0
    assert queues.count(queues.dlq) == 0


def test_a_task_that_keeps_failing_is_dead_lettered_after_max_attempts(
    use_tasks, queues, pump, caplog
):
    use_tasks(MAX_ATTEMPTS=3)
    result = jobs.always_fails.enqueue("hunter2-secret")
    with caplog.at_level(logging.DEBUG):
        drain(pump())

    assert jobs.CALLS == [("always_fails", "called")] * 3
    assert queues.count(queues.default) == 0
    [dead] = queues.messages(queues.dlq)
    assert json.loads(dead["Body"])["id"] == result.id  # the same body: it can be re-sent
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes == {
        "task_id": result.id, "task": "tests.tasks.jobs.always_fails",
        "attempts": "3", "error": "ValueError",
    }  # fmt: skip
    done = jobs.always_fails.get_result(result.id)
    assert done.status == compat.TaskResultStatus.FAILED
    assert len(done.errors) == 3
    with pytest.raises(ValueError, match="failed"):
        done.return_value  # noqa: B018
    assert "hunter2-secret" not in ours(caplog)  # arguments are not logged


def test_the_backoff_hides_the_message_until_it_is_due(use_tasks, queues, pump):
    use_tasks(BACKOFF_BASE_SECONDS=3, MAX_ATTEMPTS=5)  # first retry after 1-3 s
    jobs.fail_until.enqueue(2)
    source = pump()
    first = source.poll()
    assert len(first.returned) == 1
    assert source.poll().received == []  # hidden: Lambda would not get it now
    deadline = time.monotonic() + 6
    while not jobs.CALLS[1:] and time.monotonic() < deadline:
        source.poll()
        time.sleep(0.25)
    assert [c[1] for c in jobs.CALLS] == [1, 2]


def test_no_dead_letter_queue_leaves_the_message_in_its_queue(use_tasks, queues, pump, caplog):
    use_tasks(MAX_ATTEMPTS=1)
    url = queues.other  # no redrive policy
    body = _envelope("tests.tasks.jobs.always_fails", ["x"], queue="other")
    queues.client.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    with caplog.at_level(logging.ERROR):
        [delivery] = drain(pump(url), 1)

    # The long wait was accepted by SQS (12 h from the receive, less an invocation).
    assert "its queue has no dead-letter queue" in caplog.text
    assert "ClientError" not in caplog.text
    assert len(delivery.returned) == 1  # not deleted: there is nowhere safe to put it
    assert queues.count(url) == 1
    assert queues.messages(url) == []  # and hidden for hours, not back in 30 s


def test_a_duplicate_delivery_of_a_finished_task_does_not_run_it_again(use_tasks, queues, pump):
    jobs.add.enqueue(1, 1)
    [message] = queues.messages(queues.default)
    drain(pump(), 1)
    queues.client.send_message(QueueUrl=queues.default, MessageBody=message["Body"])
    [delivery] = drain(pump(), 1)

    assert delivery.deleted == delivery.received
    assert jobs.CALLS == [("add", (1, 1))]


def test_async_tasks_run_in_the_worker(use_tasks, queues, pump):
    result = jobs.async_double.enqueue(21)
    drain(pump(), 1)
    assert jobs.async_double.get_result(result.id).return_value == 42


def test_a_return_value_that_is_not_json_fails_the_attempt(use_tasks, queues, pump):
    use_tasks(MAX_ATTEMPTS=1)
    result = jobs.returns_object.enqueue()
    drain(pump(), 1)
    done = jobs.returns_object.get_result(result.id)
    assert done.status == compat.TaskResultStatus.FAILED
    assert done.errors[0].exception_class_path == "builtins.TypeError"


def _envelope(task, args, *, backend="default", queue="default", **extra):
    return {
        MARKER: 1, "id": "f" * 32, "task": task, "backend": backend, "queue": queue,
        "priority": 0, "args": args, "kwargs": {}, "enqueued_at": "2026-12-03T10:00:00+00:00",
        "run_after": None, **extra,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("task", "backend", "reason"),
    [
        ("tests.tasks.jobs.not_there", "default", "cannot be imported"),
        ("tests.tasks.jobs.NOT_A_TASK", "default", "not a task"),
        ("tests.tasks.jobs.add", "reports", "not an SQSBackend"),
    ],
)
def test_a_task_this_function_cannot_run_is_refused_and_not_lost(
    use_tasks, queues, pump, caplog, task, backend, reason
):
    body = json.dumps(_envelope(task, [1, 2], backend=backend))
    queues.client.send_message(QueueUrl=queues.default, MessageBody=body)
    with caplog.at_level(logging.ERROR):
        [delivery] = drain(pump(), 1)

    assert len(delivery.returned) == 1  # reported failed: SQS keeps it, redrive moves it
    assert queues.count(queues.default) == 1
    assert reason in caplog.text
    assert jobs.CALLS == []


@pytest.mark.parametrize(
    "body",
    [
        '{"' + MARKER + '":1, "id": ',  # cut short
        json.dumps({MARKER: 2, "id": "x"}),  # a version this worker does not read
        json.dumps({MARKER: 1, "id": "x", "task": "tests.tasks.jobs.add"}),  # fields missing
    ],
    ids=["truncated", "version", "fields"],
)
def test_malformed_task_messages_fail_with_a_clear_error(handler, use_tasks, caplog, body):
    event = {"Records": [sqs_record(body, queue="tasks-any", message_id="m-1")]}
    with caplog.at_level(logging.ERROR), pytest.raises(Exception, match="All 1 sqs records"):
        handler(event, FakeContext())
    assert "task message" in caplog.text
    assert jobs.CALLS == []


def test_task_messages_share_a_queue_with_an_sqs_route(handler, use_tasks, queues):
    """``eventsapp-jobs`` has an ``@events.sqs`` route; its task messages still run as tasks."""
    from tests.events.eventsapp import lambda_events

    lambda_events.CALLS.clear()
    jobs.add.enqueue(4, 4)
    [message] = queues.messages(queues.default)
    event = {
        "Records": [
            sqs_record(message["Body"], queue="eventsapp-jobs", message_id="task"),
            sqs_record(json.dumps({"name": "plain"}), queue="eventsapp-jobs", message_id="plain"),
        ]
    }
    reply = handler(event, FakeContext())
    assert reply == {"batchItemFailures": []}
    assert jobs.CALLS == [("add", (4, 4))]
    assert lambda_events.CALLS == [("sqs", "plain")]  # the route got only its own message
    assert TaskRecord.objects.get().status == "SUCCESSFUL"


def test_a_dead_letter_copy_that_failed_is_made_next_time_without_running_again(
    use_tasks, queues, pump
):
    use_tasks(MAX_ATTEMPTS=1, DEAD_LETTER_QUEUE_URL=queues.dlq.rsplit("/", 1)[0] + "/gone")
    result = jobs.always_fails.enqueue("x")
    [first] = drain(pump(lambda_visibility=False), 1)
    assert first.returned == first.received  # the copy failed, so the message stays
    assert jobs.always_fails.get_result(result.id).status == compat.TaskResultStatus.FAILED

    use_tasks(MAX_ATTEMPTS=1, DEAD_LETTER_QUEUE_URL=queues.dlq)
    [second] = drain(pump(), 1)
    assert second.deleted == second.received
    assert jobs.CALLS == [("always_fails", "called")]  # its one attempt, not a second
    [dead] = queues.messages(queues.dlq)
    assert dead["MessageAttributes"]["error"]["StringValue"] == "ValueError"


def test_receives_that_never_ran_the_task_use_up_no_attempts(use_tasks, queues, pump):
    use_tasks(MAX_ATTEMPTS=2)
    result = jobs.always_fails.enqueue("x")
    for _ in range(4):  # taken and given back unrun, as deadline or FIFO skips do
        assert len(queues.messages(queues.default)) == 1
    drain(pump(lambda_visibility=False), 1)

    done = jobs.always_fails.get_result(result.id)
    assert (done.status, done.attempts) == (compat.TaskResultStatus.READY, 1)
    assert queues.messages(queues.dlq) == []
    drain(pump(lambda_visibility=False), 1)
    assert jobs.always_fails.get_result(result.id).status == compat.TaskResultStatus.FAILED
    assert len(queues.messages(queues.dlq)) == 1
