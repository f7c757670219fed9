"""Which handler answers the test clients: the project's own, built once per process."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.core.handlers.base import BaseHandler

from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.testing.env import ENV_HANDLER

#: Environment variable naming the handler as ``module:attribute``.

LambdaCallable = Callable[[dict[str, Any], Any], Any]

_handler_lock = threading.Lock()
_handlers: dict[str, LambdaCallable] = {}


def get_project_handler(spec: str | None = None) -> LambdaCallable:
    """The project's handler, built once per process like a Lambda container's.

    ``spec`` (or ``$DJANGO_LAMBDA_HANDLER``) is ``"package.module:attribute"``
    naming the object Lambda calls; without it, ``make_handler()`` with the
    current settings is used.
    """
    spec = spec or os.environ.get(ENV_HANDLER) or ""
    with _handler_lock:
        if spec not in _handlers:
            _handlers[spec] = _load_handler(spec)
        return _handlers[spec]


def _load_handler(spec: str) -> LambdaCallable:
    if not spec:
        from django_lambda_bridge.handler import make_handler

        return make_handler()
    module_name, _, attribute = spec.partition(":")
    try:
        handler = getattr(import_module(module_name), attribute or "handler")
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"Cannot load the Lambda handler {spec!r} ({exc}). Give it as "
            "'package.module:attribute', the way the function's handler setting names it."
        ) from exc
    if not callable(handler):
        raise ConfigurationError(f"The Lambda handler {spec!r} is not callable.")
    return handler  # type: ignore[no-any-return]


def find_wsgi_app(handler: Any) -> BaseHandler | None:
    """The Django ``WSGIHandler`` a handler exposes as ``.wsgi_app``, if any."""
    app = getattr(handler, "wsgi_app", None)
    return app if isinstance(app, BaseHandler) else None
