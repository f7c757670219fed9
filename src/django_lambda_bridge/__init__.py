"""Run an existing Django project on AWS Lambda without rewriting it.

The public face is deliberately small: ``make_handler`` builds the Lambda
entrypoint. Everything else lives in named submodules (``http``, ``testing``,
``conf``) so that importing the package costs almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "events", "make_handler"]

if TYPE_CHECKING:
    from django_lambda_bridge import events
    from django_lambda_bridge.handler import LambdaHandler


def make_handler(settings_module: str | None = None, **options: Any) -> LambdaHandler:
    """Build the Lambda handler; call this at module level so setup runs in the init phase."""
    from django_lambda_bridge.handler import make_handler as _make_handler

    return _make_handler(settings_module, **options)


def __getattr__(name: str) -> Any:
    """``django_lambda_bridge.events`` on first use: the router's decorators, stdlib-only."""
    if name == "events":
        import importlib

        return importlib.import_module("django_lambda_bridge.events")
    raise AttributeError(f"module 'django_lambda_bridge' has no attribute {name!r}")
