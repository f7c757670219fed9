"""Serving a local server from a background thread, for tests and embedding."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import BaseServer
from typing import Self


class BackgroundServing(BaseServer):
    """``with server.running():`` serves until the block ends, then closes everything."""

    @contextmanager
    def running(self) -> Iterator[Self]:
        thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.shutdown()
            thread.join()
            self.server_close()

    def _serve(self) -> None:
        try:
            self.serve_forever(poll_interval=0.05)
        finally:
            # Database connections are per thread: close the ones requests opened here.
            if "django.db" in sys.modules:
                from django.db import connections

                connections.close_all()
