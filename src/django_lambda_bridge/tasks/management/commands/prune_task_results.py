"""Delete finished task results older than a cutoff, so the table does not grow forever.

Run it from a schedule: ``{"manage": ["prune_task_results", "--days", "7"]}`` on
an EventBridge rule (add it to MANAGE_COMMANDS), or ``manage.py prune_task_results``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from django_lambda_bridge.tasks import results


class Command(BaseCommand):
    help = "Delete finished (successful and failed) task results older than --days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=7.0, help="Keep this many days.")
        parser.add_argument(
            "--status",
            action="append",
            choices=["SUCCESSFUL", "FAILED"],
            help="Only results with this status (repeatable); default both.",
        )
        parser.add_argument(
            "--database", help="Default: every database a task backend stores results in."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0:
            self.stderr.write("--days must not be negative.")
            raise SystemExit(2)
        cutoff = timezone.now() - timedelta(days=options["days"])
        statuses = options["status"] or ["SUCCESSFUL", "FAILED"]
        databases = [options["database"]] if options["database"] else results.task_databases()
        old = [results.finished_before(db, cutoff, statuses) for db in databases]
        if options["dry_run"]:
            self.stdout.write(f"{sum(q.count() for q in old)} task results would be deleted.")
            return
        deleted = sum(q.delete()[0] for q in old)
        self.stdout.write(
            f"{deleted} task results deleted (finished before {cutoff:%Y-%m-%d %H:%M})."
        )
