"""Raises an unexpected exception."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def handle(self, *args, **options):
        raise RuntimeError("boom from ops_boom")
