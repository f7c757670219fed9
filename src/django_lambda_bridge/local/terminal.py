"""``runlambda``'s log output: Lambda's root handler, without printing a record twice.

Lambda's runtime puts a handler on the root logger, so the emulator does too,
and what the terminal shows is what CloudWatch would. But under ``DEBUG``
Django's own ``console`` handler already prints ``django.*`` records to stderr
before they propagate to the root, and the terminal would show every
traceback twice. The root handler here skips a record that a handler on its
way up has already written to the terminal.
"""

from __future__ import annotations

import logging
import sys
from typing import IO


def _writes_to_terminal(handler: logging.Handler) -> bool:
    if not isinstance(handler, logging.StreamHandler) or isinstance(handler, logging.FileHandler):
        return False
    terminals = (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
    return any(handler.stream is stream for stream in terminals if stream is not None)


class NotShownYet(logging.Filter):
    """Passes a record only if no terminal handler between its logger and the root took it."""

    def filter(self, record: logging.LogRecord) -> bool:
        root = logging.getLogger()
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None and logger is not root:
            for handler in logger.handlers:
                if (
                    _writes_to_terminal(handler)
                    and record.levelno >= handler.level
                    and handler.filter(record)
                ):
                    return False
            if not logger.propagate:
                break
            logger = logger.parent
        return True


def log_to_terminal(stream: IO[str]) -> logging.Handler | None:
    """Add the root handler, unless the project's LOGGING already gave the root one."""
    root = logging.getLogger()
    if root.handlers:
        return None
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(NotShownYet())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler
