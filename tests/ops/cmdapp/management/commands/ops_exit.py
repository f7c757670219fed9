"""Calls sys.exit with an int, a message or nothing."""

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("how", choices=["int", "message", "none"])

    def handle(self, *args, **options):
        how = options["how"]
        if how == "int":
            sys.exit(4)
        if how == "message":
            sys.exit("exiting with a message")
        sys.exit()
