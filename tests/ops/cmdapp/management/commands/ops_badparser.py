"""Its parser cannot be built, so option checks must not rely on it."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def add_arguments(self, parser):
        raise RuntimeError("no parser today")

    def handle(self, *args, **options):
        self.stdout.write("ran")
