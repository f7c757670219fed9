"""Run an existing Django project on AWS Lambda without rewriting it.

The public face is deliberately small: ``make_handler`` builds the Lambda
entrypoint, ``events`` holds the router's decorators and ``lambda_info`` reads the
Lambda details of a request. Everything else lives in named submodules (``http``,
``testing``, ``conf``), and even these load on first use, so that importing the
package costs almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "events", "lambda_info", "make_handler"]

if TYPE_CHECKING:
    from django_lambda_bridge import events
    from django_lambda_bridge.handler import LambdaHandler
    from django_lambda_bridge.http.info import lambda_info


def make_handler(settings_module: str | None = None, **options: Any) -> LambdaHandler:
    """Build the Lambda handler; call this at module level so setup runs in the init phase."""
    from django_lambda_bridge.handler import make_handler as _make_handler

    return _make_handler(settings_module, **options)


def __getattr__(name: str) -> Any:
    """``events`` (the router's decorators, stdlib-only) and ``lambda_info`` on first use."""
    import importlib

    if name == "events":
        return importlib.import_module("django_lambda_bridge.events")
    if name == "lambda_info":
        return importlib.import_module("django_lambda_bridge.http.info").lambda_info
    raise AttributeError(f"module 'django_lambda_bridge' has no attribute {name!r}")
