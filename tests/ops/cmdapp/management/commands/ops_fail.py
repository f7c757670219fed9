"""Fails the way commands are meant to: CommandError with a chosen exit code."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--code", type=int, default=3)

    def handle(self, *args, **options):
        self.stdout.write("started")
        raise CommandError("the custom failure", returncode=options["code"])
