"""Writes to every place a management command can write to."""

import logging
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def handle(self, *args, **options):
        self.stdout.write("to self.stdout")
        self.stderr.write("to self.stderr")
        print("to print")
        sys.stdout.write("to sys.stdout\n")
        sys.stderr.write("to sys.stderr\n")
        logging.getLogger("tests.ops.noisy").warning("to logging")
