"""Results, pruning, the in-process mode, checks, the import shim, the cold path."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import django
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from django_lambda_bridge.tasks import compat
from django_lambda_bridge.tasks.models import TaskRecord
from tests.tasks import jobs
from tests.tasks.test_worker import ours

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def test_immediate_mode_runs_the_task_after_commit_and_records_it(settings):
    # tests/settings.py's TASKS: MODE="immediate", the local and test choice.
    with transaction.atomic():
        result = jobs.add.enqueue(5, 6)
        assert jobs.CALLS == []  # not inside the transaction
    assert jobs.CALLS == [("add", (5, 6))]
    assert jobs.add.get_result(result.id).return_value == 11


def test_immediate_mode_rolled_back_runs_nothing():
    def failing_request():
        with transaction.atomic():
            jobs.add.enqueue(1, 2)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_request()
    assert jobs.CALLS == []
    assert TaskRecord.objects.count() == 0


def test_immediate_mode_records_a_failure_without_raising_into_the_caller(caplog):
    caplog.set_level(logging.DEBUG)
    result = jobs.always_fails.enqueue("s3cr3t")
    done = jobs.always_fails.get_result(result.id)
    assert done.status == compat.TaskResultStatus.FAILED
    assert done.errors[0].exception_class_path == "builtins.ValueError"
    assert "s3cr3t" not in ours(caplog)
    assert any(r.name == "django_lambda_bridge.tasks" for r in caplog.records)


def test_get_result_of_an_unknown_id_and_of_another_task():
    with pytest.raises(compat.TaskResultDoesNotExist):
        jobs.add.get_result("0" * 32)
    result = jobs.add.enqueue(1, 1)
    with pytest.raises(Exception, match="does not match"):
        jobs.on_other_queue.get_result(result.id)


def test_results_can_be_switched_off(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_lambda_bridge.tasks.SQSBackend",
            "QUEUES": ["default", "other"],
            "OPTIONS": {"MODE": "immediate", "STORE_RESULTS": False},
        }
    }
    result = jobs.add.enqueue(1, 1)
    assert jobs.CALLS == [("add", (1, 1))]
    assert TaskRecord.objects.count() == 0
    with pytest.raises(NotImplementedError, match="STORE_RESULTS"):
        jobs.add.get_result(result.id)


def _finished(status, days_ago, pk):
    moment = timezone.now() - timedelta(days=days_ago)
    return TaskRecord.objects.create(
        id=pk, task_path="tests.tasks.jobs.add", backend="default", queue_name="default",
        status=status, enqueued_at=moment, finished_at=moment if status != "READY" else None,
    )  # fmt: skip


def test_prune_deletes_only_old_finished_results(capsys):
    _finished("SUCCESSFUL", 10, "old-ok")
    _finished("FAILED", 10, "old-failed")
    _finished("SUCCESSFUL", 1, "new-ok")
    _finished("READY", 30, "old-waiting")  # not finished: never pruned

    call_command("prune_task_results", "--days", "7", "--dry-run")
    assert "2 task results would be deleted" in capsys.readouterr().out
    assert TaskRecord.objects.count() == 4
    call_command("prune_task_results", "--days", "7", "--status", "FAILED")
    assert set(TaskRecord.objects.values_list("pk", flat=True)) == {
        "old-ok",
        "new-ok",
        "old-waiting",
    }
    call_command("prune_task_results", "--days", "7")
    assert set(TaskRecord.objects.values_list("pk", flat=True)) == {"new-ok", "old-waiting"}


def test_checks_report_bad_options_and_sending_before_commit(settings, queues):
    from django_lambda_bridge.tasks.checks import check_backends

    settings.TASKS = {
        "default": {
            "BACKEND": "django_lambda_bridge.tasks.SQSBackend",
            "OPTIONS": {"QUEUE_URLS": {"default": queues.default}, "ENQUEUE_ON_COMMIT": False},
        },
        "broken": {"BACKEND": "django_lambda_bridge.tasks.SQSBackend", "OPTIONS": {"X": 1}},
    }
    ids = sorted(m.id for m in check_backends())
    assert ids == ["django_lambda_bridge.E064", "django_lambda_bridge.W061"]


def test_the_import_shim_uses_djangos_own_tasks_from_django_6():
    expected = "django.tasks" if django.VERSION >= (6,) else "django_tasks"
    assert expected == compat.SOURCE
    assert type(jobs.add).__module__ == f"{expected}.base"
    assert isinstance(jobs.add, compat.Task)


def _python(code: str, **env: str) -> str:
    reply = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert reply.returncode == 0, reply.stderr
    return reply.stdout.strip().splitlines()[-1]


def test_boto3_is_imported_on_the_first_enqueue_not_before(queues, lambda_aws_env):
    code = f"""
import json, sys, django
django.setup()
from django_lambda_bridge.tasks import compat
from tests.tasks import jobs
before = "boto3" in sys.modules
from django.conf import settings
from django.test.utils import override_settings
with override_settings(TASKS={{"default": {{"BACKEND": "django_lambda_bridge.tasks.SQSBackend",
        "OPTIONS": {{"QUEUE_URLS": {{"default": {queues.default!r}}}, "STORE_RESULTS": False}}}}}}):
    jobs.add.enqueue(1, 2)
print(json.dumps([before, "boto3" in sys.modules]))
"""
    env = {"AWS_ENDPOINT_URL": lambda_aws_env.endpoint_url, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # fmt: skip
    assert json.loads(_python(code, **env)) == [False, True]
    assert queues.count(queues.default) == 1


def test_check_deploy_warns_about_the_in_process_mode():
    from django.core import checks

    ids = [m.id for m in checks.run_checks(include_deployment_checks=True)]
    assert "django_lambda_bridge.W062" in ids
    assert "django_lambda_bridge.W062" not in [m.id for m in checks.run_checks()]


def test_check_reports_results_without_the_app(monkeypatch):
    from django_lambda_bridge.tasks import checks as task_checks

    assert "django_lambda_bridge.E060" not in [m.id for m in task_checks.check_backends()]
    monkeypatch.setattr(task_checks.apps, "is_installed", lambda name: False)
    assert "django_lambda_bridge.E060" in [m.id for m in task_checks.check_backends()]


def test_a_schedule_can_prune_through_the_manage_event():
    from django_lambda_bridge import make_handler
    from django_lambda_bridge.testing import FakeContext

    _finished("SUCCESSFUL", 10, "old-ok")
    _finished("SUCCESSFUL", 1, "new-ok")
    handler = make_handler("tests.settings", manage_commands=["prune_task_results"])
    reply = handler({"manage": ["prune_task_results", "--days", "7"]}, FakeContext())
    assert reply["exit_code"] == 0, reply
    assert "1 task results deleted" in reply["stdout"]
    assert list(TaskRecord.objects.values_list("pk", flat=True)) == ["new-ok"]


def test_installing_the_app_imports_no_task_framework_at_setup():
    code = """
import json, sys, django
django.setup()
print(json.dumps([m for m in ("django.tasks", "django_tasks", "boto3") if m in sys.modules]))
"""
    assert json.loads(_python(code)) == []
