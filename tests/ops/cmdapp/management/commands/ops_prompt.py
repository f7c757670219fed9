"""Reports whether it runs interactively, then asks a question when it does."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--noinput", action="store_false", dest="interactive")
        parser.add_argument("--ask-anyway", action="store_true")

    def handle(self, *args, **options):
        self.stdout.write(f"interactive={options['interactive']}")
        if options["interactive"] or options["ask_anyway"]:
            answer = input("Type 'yes' to continue: ")
            self.stdout.write(f"answer={answer}")
