from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

CLIENT = "demo"
TOKEN = "demo-callme-token"


class Command(BaseCommand):
    help = f"Create the demo client '{CLIENT}' with the API token '{TOKEN}'. Local use only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the token is published in the README).",
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates a client whose token is published, so it runs only with "
                "DEBUG on (DJANGO_DEBUG=1). Pass --force to run it anyway."
            )
        user, _ = get_user_model().objects.get_or_create(username=CLIENT)
        Token.objects.filter(user=user).exclude(key=TOKEN).delete()
        Token.objects.get_or_create(user=user, key=TOKEN)
        self.stdout.write(f"Client '{CLIENT}': Authorization: Token {TOKEN}")
