"""Takes a password on its command line, as some real commands do."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--password", required=True)
        parser.add_argument("--set", dest="assignments", action="append", default=[])

    def handle(self, *args, **options):
        self.stdout.write(f"logged in with {len(options['password'])} characters")
        for assignment in options["assignments"]:
            self.stdout.write(f"set {assignment}")
