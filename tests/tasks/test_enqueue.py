"""Enqueueing: after commit, delays, and what SQS cannot take refused in the request."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from django_lambda_bridge.tasks import compat
from django_lambda_bridge.tasks.envelope import PREFIX
from django_lambda_bridge.tasks.models import TaskRecord
from tests.tasks import jobs

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit needs real commits


def test_outside_a_transaction_the_task_is_sent_at_once(use_tasks, queues):
    result = jobs.add.enqueue(2, 3)

    [message] = queues.messages(queues.default)
    assert message["Body"].startswith(PREFIX)
    body = json.loads(message["Body"])
    assert body["id"] == result.id
    assert body["task"] == "tests.tasks.jobs.add"
    assert body["args"] == [2, 3]
    assert result.status == compat.TaskResultStatus.READY
    assert TaskRecord.objects.get(pk=result.id).status == "READY"


def test_a_rolled_back_enqueue_sends_nothing_and_keeps_no_result(use_tasks, queues):
    enqueued = []

    def failing_request():
        with transaction.atomic():
            enqueued.append(jobs.add.enqueue(1, 1))
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    [result] = enqueued

    assert queues.count(queues.default) == 0
    assert not TaskRecord.objects.filter(pk=result.id).exists()


def test_inside_a_transaction_the_task_is_sent_when_it_commits(use_tasks, queues):
    with transaction.atomic():
        jobs.add.enqueue(1, 2)
        assert queues.count(queues.default) == 0  # a worker could not see our rows yet
    assert queues.count(queues.default) == 1


def test_enqueue_on_commit_can_be_turned_off(use_tasks, queues):
    use_tasks(ENQUEUE_ON_COMMIT=False)
    with transaction.atomic():
        jobs.add.enqueue(1, 2)
        assert queues.count(queues.default) == 1


def test_queue_names_map_to_their_queues(use_tasks, queues):
    jobs.on_other_queue.enqueue(7)
    assert queues.count(queues.other) == 1
    assert queues.count(queues.default) == 0


def test_a_queue_without_a_url_is_refused(use_tasks, queues):
    use_tasks(QUEUE_URLS={"default": queues.default})
    with pytest.raises(compat.InvalidTask, match="other"):
        jobs.on_other_queue.enqueue(7)


def test_run_after_becomes_a_delay_and_the_task_arrives_after_it(use_tasks, queues):
    result = jobs.add.using(run_after=timezone.now() + timedelta(seconds=2)).enqueue(1, 2)

    assert queues.messages(queues.default) == []  # not yet
    time.sleep(2.5)
    [message] = queues.messages(queues.default)
    assert json.loads(message["Body"])["id"] == result.id


def test_a_delay_past_15_minutes_without_scheduler_is_refused(use_tasks, queues):
    later = jobs.add.using(run_after=timezone.now() + timedelta(minutes=16))
    with pytest.raises(compat.InvalidTask, match="SCHEDULER_ROLE_ARN"):
        later.enqueue(1, 2)
    assert queues.count(queues.default) == 0
    assert TaskRecord.objects.count() == 0


def test_a_delay_past_15_minutes_goes_through_a_one_shot_schedule(
    use_tasks, queues, lambda_aws_env
):
    role = "arn:aws:iam::123456789012:role/scheduler-to-sqs"
    use_tasks(SCHEDULER_ROLE_ARN=role)
    paris = dt.timezone(timedelta(hours=2))
    when = (timezone.now() + timedelta(hours=2)).astimezone(paris)
    result = jobs.add.using(run_after=when).enqueue(1, 2)

    assert queues.count(queues.default) == 0
    schedule = lambda_aws_env.client("scheduler").get_schedule(Name=f"task-{result.id}")
    expected = when.astimezone(dt.UTC)
    assert schedule["ScheduleExpression"] == f"at({expected:%Y-%m-%dT%H:%M:%S})"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == queues.arn(queues.default)
    assert schedule["Target"]["RoleArn"] == role
    assert json.loads(schedule["Target"]["Input"])["id"] == result.id


@pytest.mark.parametrize(
    "args", [(object(), 1), (float("nan"), 1), ({1, 2}, 3)], ids=["object", "nan", "set"]
)
def test_arguments_that_are_not_json_are_refused_at_enqueue(use_tasks, queues, args):
    with pytest.raises(compat.InvalidTask, match="JSON"):
        jobs.add.enqueue(*args)
    assert queues.count(queues.default) == 0
    assert TaskRecord.objects.count() == 0


def test_a_payload_over_the_sqs_limit_is_refused_at_enqueue(use_tasks, queues):
    with pytest.raises(compat.InvalidTask, match=r"over the queue's limit of 262144"):
        jobs.add.enqueue("x" * 262_144, "")
    assert queues.count(queues.default) == 0
    jobs.add.enqueue("x" * 200_000, "")  # under it is fine
    assert queues.count(queues.default) == 1


def test_delays_on_a_fifo_queue_are_refused_and_plain_sends_carry_a_group(use_tasks, queues):
    fifo = queues.make(
        f"tasks-{math.floor(time.time())}.fifo", FifoQueue="true", VisibilityTimeout="30"
    )
    use_tasks(QUEUE_URLS={"default": fifo})
    with pytest.raises(compat.InvalidTask, match="FIFO"):
        jobs.add.using(run_after=timezone.now() + timedelta(seconds=5)).enqueue(1, 2)
    result = jobs.add.enqueue(1, 2)
    [message] = queues.messages(fifo)
    assert message["Attributes"]["MessageGroupId"] == "tests.tasks.jobs.add"
    assert message["Attributes"]["MessageDeduplicationId"] == result.id


def test_unknown_options_and_missing_urls_are_configuration_errors(settings, queues):
    from django.core.exceptions import ImproperlyConfigured

    from django_lambda_bridge.tasks.backend import SQSBackend

    with pytest.raises(ImproperlyConfigured, match="QUEUE_URL"):
        SQSBackend("default", {"OPTIONS": {"QUEUE_URL": queues.default}})
    with pytest.raises(ImproperlyConfigured, match="no SQS queue URL for default"):
        SQSBackend("default", {"QUEUES": ["default"], "OPTIONS": {}})
    with pytest.raises(ImproperlyConfigured, match="MAX_ATTEMPTS"):
        SQSBackend("x", {"OPTIONS": {"MODE": "immediate", "MAX_ATTEMPTS": 0}})
    with pytest.raises(ImproperlyConfigured, match="MODE"):
        SQSBackend("x", {"OPTIONS": {"MODE": "celery"}})


def test_a_send_failing_after_commit_is_logged_and_requeue_tasks_sends_it(
    use_tasks, queues, pump, caplog
):
    from django.core.management import call_command

    missing = queues.default.rsplit("/", 1)[0] + "/no-such-queue"
    use_tasks(QUEUE_URLS={"default": missing})
    with caplog.at_level(logging.ERROR), transaction.atomic():
        result = jobs.add.enqueue(3, 4)  # the request's own work commits; no error for it
    assert "could not be sent" in caplog.text
    row = TaskRecord.objects.get(pk=result.id)
    assert row.status == "READY"

    use_tasks()  # the queue is back
    call_command("requeue_tasks", "--older-than", "60")  # too recent: left alone
    assert queues.count(queues.default) == 0
    TaskRecord.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - timedelta(hours=1))
    call_command("requeue_tasks", "--older-than", "60")
    assert queues.count(queues.default) == 1
    pump().poll()
    assert jobs.add.get_result(result.id).return_value == 7
    call_command("requeue_tasks", "--older-than", "0")  # finished: never sent again
    assert queues.count(queues.default) == 0

    waiting = jobs.add.enqueue(1, 1)  # sent, still waiting in a backed-up queue
    TaskRecord.objects.filter(pk=waiting.id).update(enqueued_at=timezone.now() - timedelta(hours=1))
    call_command("requeue_tasks", "--older-than", "60")
    assert queues.count(queues.default) == 1  # not sent a second time


def test_a_send_failing_outside_a_transaction_raises_to_the_caller(use_tasks, queues):
    missing = queues.default.rsplit("/", 1)[0] + "/no-such-queue"
    use_tasks(QUEUE_URLS={"default": missing})
    with pytest.raises(Exception, match=r"NonExistentQueue|QueueDoesNotExist"):
        jobs.add.enqueue(3, 4)
    assert TaskRecord.objects.count() == 0  # not enqueued, so nothing for requeue_tasks
