"""One row per enqueued task, so any function can read a task's status and result."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

STATUSES = [(s, s.title()) for s in ("READY", "RUNNING", "FAILED", "SUCCESSFUL")]


class TaskRecord(models.Model):
    id: models.CharField[Any, Any] = models.CharField(primary_key=True, max_length=64)
    task_path: models.CharField[Any, Any] = models.CharField(max_length=255)
    backend: models.CharField[Any, Any] = models.CharField(max_length=100)
    queue_name: models.CharField[Any, Any] = models.CharField(max_length=100)
    priority: models.IntegerField[Any, Any] = models.IntegerField(default=0)
    status: models.CharField[Any, Any] = models.CharField(
        max_length=12, choices=STATUSES, default="READY"
    )
    args: models.JSONField[Any, Any] = models.JSONField(default=list)
    kwargs: models.JSONField[Any, Any] = models.JSONField(default=dict)
    return_value: models.JSONField[Any, Any] = models.JSONField(null=True, blank=True)
    #: ``[{"exception_class_path": ..., "traceback": ...}]``, one per failed attempt.
    errors: models.JSONField[Any, Any] = models.JSONField(default=list)
    #: One entry per attempt: the execution environment (log stream) that ran it.
    worker_ids: models.JSONField[Any, Any] = models.JSONField(default=list)
    enqueued_at: models.DateTimeField[Any, Any] = models.DateTimeField()
    run_after: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    started_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    last_attempted_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    finished_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    #: When the message reached SQS (or Scheduler); ``requeue_tasks`` sends only rows without.
    sent_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "lambda_bridge_task"
        indexes: ClassVar = [
            models.Index(fields=["status", "finished_at"], name="lambda_task_prune")
        ]

    def __str__(self) -> str:
        return f"{self.task_path} {self.id} {self.status}"
