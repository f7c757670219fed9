"""The Lambda entrypoint: classify each event and hand it to the path that owns it."""

from __future__ import annotations

import logging
from typing import Any

from django_lambda_bridge import conf as conf_module
from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import EventError, describe_keys
from django_lambda_bridge.kinds import Kind, classify
from django_lambda_bridge.ops import warmup as ops_warmup
from django_lambda_bridge.startup import setup_django, warm_up

logger = logging.getLogger("django_lambda_bridge")


class LambdaHandler:
    """Callable as ``handler(event, context)``; one per container, built at import time."""

    def __init__(self, conf: BridgeSettings) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        from django_lambda_bridge.http.bridge import HttpBridge

        self.conf = conf
        self.wsgi_app = WSGIHandler()  # loads the middleware chain now, not per request
        self.http = HttpBridge(self.wsgi_app)  # reads get_settings() per call
        from django_lambda_bridge import events

        events.autodiscover()  # also when our app is not in INSTALLED_APPS
        events.router.check()  # overlapping routes fail the init phase, not some later event

    def __call__(self, event: Any, context: Any) -> Any:
        ops_warmup.container.note_invocation()  # every kind counts, for warm-up's cold_start
        try:
            kind = classify(event)
        except EventError:
            logger.error("Rejected event: %s", describe_keys(event))
            raise
        if kind.is_http:
            return self.http(event, context, kind)
        return self.dispatch(event, context, kind)

    def dispatch(self, event: dict[str, Any], context: Any, kind: Kind) -> Any:
        """Non-HTTP events; raising makes Lambda retry or dead-letter them, never drop."""
        if kind is Kind.WARM_UP:
            return ops_warmup.warm_up_reply()
        if kind is Kind.MANAGE:
            from django_lambda_bridge.ops.manage import run_manage_event

            return run_manage_event(event, self.conf.MANAGE_COMMANDS)
        from django_lambda_bridge.events.dispatch import dispatch_event

        try:
            return dispatch_event(event, context, kind, self.conf)
        except EventError as error:
            logger.error("Could not handle a %s event: %s", kind.value, error)
            raise


def make_handler(settings_module: str | None = None, **options: Any) -> LambdaHandler:
    """Set Django up, warm it, and return the handler. Call it at module level."""
    setup_django(settings_module)
    conf = BridgeSettings.load(options)
    conf_module.activate(conf)
    handler = LambdaHandler(conf)
    if conf.WARM_UP:
        warm_up()
    return handler
