from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from messaging import workflow
from messaging.tasks import process_message
from messaging.models import ExchangeMessage
from messaging.states import State


class Command(BaseCommand):
    help = (
        "Pick up messages stuck before delivery (received, validated, routed) for longer "
        "than --older-than seconds: enqueue them, or process them here with no queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=300, metavar="SECONDS")

    def handle(self, *args, older_than=300, **options):
        cutoff = timezone.now() - timedelta(seconds=older_than)
        stuck = ExchangeMessage.objects.filter(
            state__in=[State.RECEIVED, State.VALIDATED, State.ROUTED], updated_at__lt=cutoff
        ).values_list("pk", flat=True)
        done = failed = 0
        for pk in stuck:
            try:
                if settings.EXCHANGE["WORK_QUEUE_URL"]:
                    process_message.enqueue(str(pk))
                else:
                    workflow.process(pk)
            except Exception as exc:
                failed += 1
                self.stderr.write(f"{pk}: {type(exc).__name__}: {exc}")
            else:
                done += 1
        self.stdout.write(f"{done} picked up, {failed} failed.")
