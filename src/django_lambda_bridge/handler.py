"""The Lambda entrypoint: classify each event and hand it to the path that owns it."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from django_lambda_bridge import conf as conf_module
from django_lambda_bridge.conf import BridgeSettings, SettingsLayers
from django_lambda_bridge.errors import EventError, describe_keys
from django_lambda_bridge.kinds import Kind, classify
from django_lambda_bridge.observability import Observer
from django_lambda_bridge.ops import warmup as ops_warmup
from django_lambda_bridge.startup import setup_django, warm_up

logger = logging.getLogger("django_lambda_bridge")


def _as_layers(conf: SettingsLayers | BridgeSettings | Mapping[str, Any] | None) -> SettingsLayers:
    """A ``BridgeSettings`` given directly acts as options for the keys it changes."""
    if isinstance(conf, SettingsLayers):
        return conf
    if isinstance(conf, BridgeSettings):
        return SettingsLayers(
            {
                f.name: getattr(conf, f.name)
                for f in fields(conf)
                if getattr(conf, f.name) != f.default
            }
        )
    return SettingsLayers(conf)


class LambdaHandler:
    """Callable as ``handler(event, context)``; one per container, built at import time."""

    def __init__(
        self, conf: SettingsLayers | BridgeSettings | Mapping[str, Any] | None = None
    ) -> None:
        from django_lambda_bridge.http.bridge import HttpBridge
        from django_lambda_bridge.http.wsgi import BridgeWSGIHandler

        self.layers = _as_layers(conf)
        self.observer = Observer(self.conf)  # logs and metrics are set up once, at init
        self.wsgi_app = BridgeWSGIHandler()  # loads the middleware chain now, not per request
        self.http = HttpBridge(self.wsgi_app)  # reads get_settings() per call
        from django_lambda_bridge import events

        events.autodiscover()  # also when our app is not in INSTALLED_APPS
        events.router.check()  # overlapping routes fail the init phase, not some later event
        from django_lambda_bridge.events.checks import warn_at_init

        warn_at_init(self.conf)  # a deadline margin that can never run a whole batch

    @property
    def conf(self) -> BridgeSettings:
        """The settings in force now: this handler's options over ``LAMBDA_BRIDGE``."""
        return self.layers.resolve()

    def __call__(self, event: Any, context: Any) -> Any:
        ops_warmup.container.note_invocation()  # every kind counts, for warm-up's cold_start
        # The invoked handler's settings are the ones library code (the HTTP bridge,
        # DRF auth, dispatch) reads through get_settings(): one store, no merge.
        conf_module._active = self.layers
        try:
            kind = classify(event)
        except EventError:
            logger.error("Rejected event: %s", describe_keys(event))
            raise
        observer = self.observer
        if observer.idle:  # no JSON logs, metrics or traces: nothing to wrap around the call
            if kind.is_http:
                return self.http(event, context, kind)
            return self.dispatch(event, context, kind)
        started = time.perf_counter()
        cold_start = ops_warmup.container.invocations == 1
        observer.begin(event, context, kind, cold_start=cold_start)
        reply: Any = None
        failed = True
        try:
            with observer.segment(kind, cold_start=cold_start):
                if kind.is_http:
                    reply = self.http(event, context, kind)
                else:
                    reply = self.dispatch(event, context, kind)
            failed = False
            return reply
        finally:
            observer.end(kind, reply, (time.perf_counter() - started) * 1000, failed=failed)

    def dispatch(
        self, event: dict[str, Any], context: Any, kind: Kind, conf: BridgeSettings | None = None
    ) -> Any:
        """Non-HTTP events; raising makes Lambda retry or dead-letter them, never drop."""
        if conf is None:
            conf = self.conf
        if kind is Kind.WARM_UP:
            return ops_warmup.warm_up_reply()
        if kind is Kind.MANAGE:
            from django_lambda_bridge.ops.manage import run_manage_event

            return run_manage_event(event, conf.MANAGE_COMMANDS)
        from django_lambda_bridge.events.dispatch import dispatch_event

        try:
            return dispatch_event(event, context, kind, conf)
        except EventError as error:
            logger.error("Could not handle a %s event: %s", kind.value, error)
            raise


def make_handler(settings_module: str | None = None, **options: Any) -> LambdaHandler:
    """Set Django up, warm it, and return the handler. Call it at module level."""
    setup_django(settings_module)
    layers = SettingsLayers(options)
    conf = layers.resolve()  # unknown options and bad types fail the init phase
    from django_lambda_bridge.events.proxy_config import ensure_proxy_config

    ensure_proxy_config(conf)  # a mounted proxy without replay protection fails here
    conf_module.use_layers(layers)
    handler = LambdaHandler(layers)
    if conf.WARM_UP:
        warm_up()
    from django_lambda_bridge.ops import snapstart

    snapstart.refuse_init_connections(conf)  # under SnapStart, a cloned socket is a bug
    snapstart.register_hooks()  # never called unless the function has SnapStart on
    if conf.SHUTDOWN_ON_SIGTERM:
        from django_lambda_bridge.ops.shutdown import install_sigterm_handler

        install_sigterm_handler(handler.observer.flush)
    return handler
