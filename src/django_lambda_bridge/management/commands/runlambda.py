"""``manage.py runlambda``: like runserver, but every request goes through the Lambda handler."""

from __future__ import annotations

import logging
import re
import sys
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_lambda_bridge.testing.events import FORMATS

if TYPE_CHECKING:
    from django_lambda_bridge.local.static import StaticFiles

_ADDRPORT = re.compile(r"^(?:(?P<host>[\w.\-]+|\[[0-9a-fA-F:]+\]):)?(?P<port>\d+)$")


class Command(BaseCommand):
    help = (
        "Serve the project on localhost through the real Lambda handler: each HTTP request "
        "becomes an API Gateway, Function URL or ALB event, and the reply is written back."
    )
    requires_system_checks: list[str] = []  # noqa: RUF012  (Django declares it per instance)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="Address and port, or port only (default 127.0.0.1:8000).",
        )
        parser.add_argument(
            "--format",
            dest="fmt",
            choices=FORMATS,
            default="v2",
            help="Event format to emulate (default v2, an HTTP API).",
        )
        parser.add_argument(
            "--https",
            action="store_true",
            help="Tell Django requests are HTTPS, as on AWS (links then point to https:// "
            "URLs this plain-HTTP server cannot answer).",
        )
        parser.add_argument(
            "--stage",
            default=None,
            help="API Gateway stage in the URL (default: 'prod' for v1, "
            "'$default' for v2, which has no prefix).",
        )
        parser.add_argument(
            "--nostatic",
            action="store_false",
            dest="use_static",
            help="Do not serve static files (served under DEBUG, as runserver does).",
        )
        parser.add_argument(
            "--insecure",
            action="store_true",
            help="Serve static files even with DEBUG off (local use only, as runserver's).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django_lambda_bridge.handler import make_handler
        from django_lambda_bridge.local.server import LambdaHTTPServer
        from django_lambda_bridge.local.terminal import log_to_terminal

        match = _ADDRPORT.match(options["addrport"])
        if not match:
            raise CommandError(f"{options['addrport']!r} is not an address:port or a port.")
        host, port = (match["host"] or "127.0.0.1").strip("[]"), int(match["port"])
        fmt = options["fmt"]
        stage = options["stage"] or ("prod" if fmt == "v1" else "$default")
        if fmt not in ("v1", "v2") and options["stage"]:
            raise CommandError(f"--stage only applies to v1 and v2 events, not {fmt}.")
        logging.getLogger("django_lambda_bridge.local").setLevel(logging.INFO)
        log_to_terminal(sys.stderr)
        # Plain-HTTP emulation: without this, absolute links would say https://.
        handler = make_handler(scheme="https" if options["https"] else "http")
        self.check_migrations()
        self._warn_about_hosts(fmt, host)
        server = LambdaHTTPServer((host, port), handler, fmt=fmt, stage=stage)
        prefix = server.prefix
        server.static = self._static_files(options, prefix)
        try:  # Ctrl-C as soon as the address is printed must still end quietly
            self.stdout.write(
                f"Serving {fmt} events through the Lambda handler at "
                f"http://{host}:{server.server_port}{prefix}/\nQuit with CONTROL-C."
            )
            self.stdout.flush()
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    def _static_files(self, options: dict[str, Any], prefix: str) -> StaticFiles | None:
        """runserver's rule: staticfiles installed, and DEBUG or --insecure, unless --nostatic."""
        from django_lambda_bridge.local.static import StaticFiles

        if not options["use_static"] or not (settings.DEBUG or options["insecure"]):
            return None
        return StaticFiles.for_server(prefix)

    def _warn_about_hosts(self, fmt: str, host: str) -> None:
        from django_lambda_bridge.local.hosts import deployed_host_warning, local_host_warning

        for warning in (deployed_host_warning(fmt), local_host_warning(host)):
            if warning:
                self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
