"""``manage.py lambda_routes``: every non-HTTP event route, and any overlaps between them."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "List the event routes declared in lambda_events.py modules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON, one object a route.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_lambda_bridge import events
        from django_lambda_bridge.conf import get_settings

        events.autodiscover()
        default_atomic = get_settings().ATOMIC_RECORDS
        routes = list(events.router)
        rows = [
            {
                "kind": route.kind.value,
                "route": route.describe(),
                "handler": route.name,
                "atomic": default_atomic if route.atomic is None else route.atomic,
                "using": route.using or "default",
            }
            for route in routes
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
        elif not rows:
            self.stdout.write("No event routes. Declare them in a lambda_events.py module.")
        else:
            widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in rows[0]}
            self.stdout.write("  ".join(k.upper().ljust(w) for k, w in widths.items()).rstrip())
            for row in rows:
                line = "  ".join(str(row[k]).ljust(w) for k, w in widths.items())
                self.stdout.write(line.rstrip())
        for conflict in events.router.conflicts():
            self.stderr.write(self.style.ERROR(f"Ambiguous: {conflict}"))
