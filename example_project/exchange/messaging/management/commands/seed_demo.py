from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from messaging.models import ExchangeMessage, MessageEvent, Partner
from messaging.states import State

PARTNERS = {
    "acme": ("Acme Corporation", "http://127.0.0.1:9001/hooks/acme"),
    "globex": ("Globex Corporation", "http://127.0.0.1:9001/hooks/globex"),
    "initech": ("Initech", "http://127.0.0.1:9001/hooks/initech"),
}
PASSWORD = "demo-password"
ADMIN = ("admin", "demo-password")
MESSAGES = [
    ("acme", "globex", "order.created", {"order": "A-1001", "amount": "149.00"}),
    ("globex", "acme", "order.confirmed", {"order": "A-1001"}),
    ("initech", "acme", "invoice.issued", {"invoice": "I-77", "amount": "980.50"}),
]


class Command(BaseCommand):
    help = (
        "Create the demo partners acme, globex and initech (password 'demo-password'), "
        "an 'admin' superuser with the same password, and a few messages. Local use only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (it creates accounts with a published password).",
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it runs only with "
                "DEBUG on (DJANGO_DEBUG=1). Pass --force to run it anyway."
            )
        users = get_user_model()
        partners = {}
        for name, (display, webhook) in PARTNERS.items():
            user, _ = users.objects.get_or_create(username=name)
            user.set_password(PASSWORD)
            user.save()
            partners[name], _ = Partner.objects.update_or_create(
                name=name,
                defaults={"user": user, "display_name": display, "webhook_url": webhook},
            )
        admin, _ = users.objects.get_or_create(username=ADMIN[0])
        admin.is_staff = admin.is_superuser = True
        admin.set_password(ADMIN[1])
        admin.save()
        created = 0
        for sender, recipient, kind, payload in MESSAGES:
            key = f"seed-{sender}-{kind}"
            message, new = ExchangeMessage.objects.get_or_create(
                sender=partners[sender],
                idempotency_key=key,
                defaults={"recipient": partners[recipient], "type": kind, "payload": payload},
            )
            if new:
                created += 1
                MessageEvent.objects.create(
                    message=message, actor=partners[sender], to_state=State.RECEIVED,
                    reason="seeded",
                )
        self.stdout.write(
            f"Partners: {', '.join(PARTNERS)} (password '{PASSWORD}'); admin user "
            f"'{ADMIN[0]}'; {created} new messages."
        )
