"""Send again the tasks that were committed but never reached their queue.

A send that fails after its transaction committed is logged, not raised (the
request's work is already done); its result row stays READY and never starts.
Run this from a schedule to close that gap. Only rows never sent are taken, so a
task waiting in a long queue is not sent twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q
from django.utils import timezone

from django_lambda_bridge.tasks import results


class Command(BaseCommand):
    help = "Re-send READY tasks that never started and were enqueued over --older-than s ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=900, metavar="SECONDS")
        parser.add_argument(
            "--database", help="Default: every database a task backend stores results in."
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_lambda_bridge.tasks.backend import SQSBackend
        from django_lambda_bridge.tasks.compat import task_backends

        now = timezone.now()
        cutoff = now - timedelta(seconds=options["older_than"])
        databases = [options["database"]] if options["database"] else results.task_databases()
        stale = [
            row
            for db in databases
            for row in results.model()
            .objects.using(db)
            .filter(status="READY", sent_at__isnull=True, started_at__isnull=True)
            .filter(enqueued_at__lt=cutoff)
            .filter(Q(run_after__isnull=True) | Q(run_after__lt=cutoff))
            .order_by("enqueued_at")
        ]
        sent = failed = 0
        for row in stale:
            if options["dry_run"]:
                sent += 1
                continue
            try:
                backend = task_backends()[row.backend]
                if not isinstance(backend, SQSBackend) or backend.config.mode != "sqs":
                    raise ValueError(f"backend {row.backend!r} is not an SQSBackend on SQS")
                backend.resend(row)
            except Exception as exc:
                failed += 1
                self.stderr.write(f"{row.id} ({row.task_path}): {type(exc).__name__}: {exc}")
            else:
                sent += 1
        verb = "would be sent" if options["dry_run"] else "sent again"
        self.stdout.write(f"{sent} tasks {verb}, {failed} failed.")
