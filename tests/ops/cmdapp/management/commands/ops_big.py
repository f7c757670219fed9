"""Writes more output than one reply may carry."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("chars", type=int)

    def handle(self, *args, **options):
        self.stdout.write("HEAD" + "x" * options["chars"] + "TAIL", ending="")
