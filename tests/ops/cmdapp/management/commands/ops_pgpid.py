"""Prints the PostgreSQL backend pid of the 'postgres' alias's connection."""

from django.core.management.base import BaseCommand
from django.db import connections


class Command(BaseCommand):
    def handle(self, *args, **options):
        with connections["postgres"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.stdout.write(str(cursor.fetchone()[0]))
