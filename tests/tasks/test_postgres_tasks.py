"""Tasks with their results on a real PostgreSQL server, run by a worker in another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections, transaction

from django_lambda_bridge.tasks import compat
from django_lambda_bridge.tasks.models import TaskRecord
from tests.conftest import SUPERUSER
from tests.tasks import jobs

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", "postgres"], transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]
PG = "postgres"
STREAM = "2026/12/03/[$LATEST]0123456789abcdef"

WORKER = """
import json, sys, django
from django.conf import settings
spec = json.loads(sys.argv[1])
settings.DATABASES["postgres"].update(spec["database"])
settings.TASKS = spec["tasks"]
django.setup()
from django_lambda_bridge import make_handler
from django_lambda_bridge.testing.aws import MotoServer, SqsEventSource
import boto3
client = boto3.client("sqs")
source = SqsEventSource(client, spec["queue"], make_handler("tests.settings"),
                        lambda_visibility=True)
polls = [len(source.poll().received) for _ in range(6)]
print(json.dumps(polls))
"""


@pytest.fixture
def pg_tasks(use_tasks, queues):
    use_tasks(DATABASE=PG, MAX_ATTEMPTS=2)
    from django.conf import settings

    return settings.TASKS


def test_a_worker_in_another_process_runs_tasks_and_results_read_back_here(
    pg_tasks, queues, postgres_cluster, lambda_aws_env
):
    ok = jobs.add.enqueue(20, 22)
    retried = jobs.fail_until.enqueue(2)
    dead = jobs.always_fails.enqueue("x")
    assert TaskRecord.objects.using(PG).count() == 3

    spec = {
        "database": {
            "HOST": postgres_cluster.host, "PORT": str(postgres_cluster.port),
            "USER": SUPERUSER, "NAME": connections[PG].settings_dict["NAME"],
        },
        "tasks": pg_tasks,
        "queue": queues.default,
    }  # fmt: skip
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "AWS_ENDPOINT_URL": lambda_aws_env.endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_LOG_STREAM_NAME": STREAM,
    }
    run = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(spec)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1])[:2] == [3, 2]
    assert jobs.CALLS == []  # nothing ran in this process

    done = jobs.add.get_result(ok.id)
    assert (done.status, done.return_value, done.worker_ids) == (
        compat.TaskResultStatus.SUCCESSFUL,
        42,
        [STREAM],
    )
    again = jobs.fail_until.get_result(retried.id)
    assert (again.status, again.return_value, again.attempts) == (
        compat.TaskResultStatus.SUCCESSFUL,
        2,
        2,
    )
    failed = jobs.always_fails.get_result(dead.id)
    assert failed.status == compat.TaskResultStatus.FAILED
    assert len(failed.errors) == 2
    [dead_letter] = queues.messages(queues.dlq)
    assert json.loads(dead_letter["Body"])["id"] == dead.id
    assert queues.count(queues.default) == 0


def test_a_rolled_back_enqueue_on_postgres_sends_nothing(pg_tasks, queues):
    enqueued = []

    def failing_request():
        with transaction.atomic(using=PG):
            enqueued.append(jobs.add.enqueue(1, 2))
            assert TaskRecord.objects.using(PG).filter(pk=enqueued[0].id).exists()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_request()
    [result] = enqueued
    assert queues.count(queues.default) == 0
    assert not TaskRecord.objects.using(PG).filter(pk=result.id).exists()
    with transaction.atomic(using=PG):
        jobs.add.enqueue(1, 2)
        assert queues.count(queues.default) == 0
    assert queues.count(queues.default) == 1


def test_the_commands_work_on_the_database_the_backend_stores_results_in(pg_tasks):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    old = timezone.now() - timedelta(days=30)
    TaskRecord.objects.using(PG).create(
        id="old", task_path="tests.tasks.jobs.add", backend="default", queue_name="default",
        status="SUCCESSFUL", enqueued_at=old, finished_at=old,
    )  # fmt: skip
    call_command("prune_task_results", "--days", "7")
    assert not TaskRecord.objects.using(PG).filter(pk="old").exists()
