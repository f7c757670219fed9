import json

from django.core.management.base import BaseCommand

from callbacks import sweeper


class Command(BaseCommand):
    help = (
        "Re-enqueue callbacks whose message went missing; with no queue configured, attempt "
        "every due callback in process (how retries happen under runserver). Cron it, or let "
        "the sweeper schedule do it on Lambda."
    )

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(sweeper.sweep()))
