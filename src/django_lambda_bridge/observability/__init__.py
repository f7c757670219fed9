"""Logs, metrics and traces for each invocation: what the handler tells operators.

The access log (``observability.access``) needs nothing but ``logging``. JSON
logs, EMF metrics and X-Ray tracing load Powertools only when switched on
(``JSON_LOGS``, ``METRICS``, ``TRACING``), so the HTTP cold path pays for
nothing it does not use.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import TYPE_CHECKING, Any

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.kinds import Kind
from django_lambda_bridge.observability.correlation import correlation_id

if TYPE_CHECKING:
    from django_lambda_bridge.observability.metrics import EmfMetrics

logger = logging.getLogger("django_lambda_bridge.observability")


def service_name(conf: BridgeSettings) -> str:
    return (
        conf.SERVICE_NAME
        or os.environ.get("POWERTOOLS_SERVICE_NAME")
        or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        or "django"
    )


class Observer:
    """One per handler, built in the init phase; ``begin``/``end`` around each invocation."""

    def __init__(self, conf: BridgeSettings) -> None:
        service = service_name(conf)
        self.logger: Any = None
        self.metrics: EmfMetrics | None = None
        self.tracer: Any = None
        if conf.JSON_LOGS:
            from django_lambda_bridge.observability.logs import install_json_logs

            self.logger = install_json_logs(service)
        if conf.METRICS:
            namespace = conf.METRICS_NAMESPACE or os.environ.get("POWERTOOLS_METRICS_NAMESPACE")
            if not namespace:
                raise ConfigurationError(
                    "LAMBDA_BRIDGE['METRICS'] is on but no namespace is set: set "
                    "METRICS_NAMESPACE (or POWERTOOLS_METRICS_NAMESPACE), e.g. 'Exchange'."
                )
            from django_lambda_bridge.observability.metrics import EmfMetrics

            self.metrics = EmfMetrics(namespace, service)
        if conf.TRACING:
            self.tracer = _tracer(service)
        #: Nothing to do around an invocation: the handler skips begin/end altogether.
        self.idle = self.logger is None and self.metrics is None and self.tracer is None

    def begin(self, event: Any, context: Any, kind: Kind, *, cold_start: bool) -> None:
        if self.logger is not None:
            from django_lambda_bridge.observability.logs import context_keys

            self.logger.append_keys(
                **context_keys(
                    context, cold_start=cold_start, correlation_id=correlation_id(event, context)
                )
            )
        if self.metrics is not None and cold_start:
            self.metrics.count("ColdStart")

    def segment(self, kind: Kind, *, cold_start: bool) -> contextlib.AbstractContextManager[Any]:
        """An X-Ray subsegment around the invocation (the Lambda segment takes no annotations)."""
        if self.tracer is None:
            return contextlib.nullcontext()
        return _annotated(self.tracer, kind, cold_start)

    def end(self, kind: Kind, reply: Any, duration_ms: float, *, failed: bool) -> None:
        metrics = self.metrics
        if metrics is None:
            return
        if kind.is_http:
            status = reply.get("statusCode") if isinstance(reply, dict) else None
            status = status if isinstance(status, int) else 500
            metrics.count("Requests")
            metrics.count("Http4xx", 1 if 400 <= status < 500 else 0)
            metrics.count("Http5xx", 1 if status >= 500 else 0)
            metrics.milliseconds("Latency", duration_ms)
        else:
            metrics.count("Events")
            metrics.count("EventFailures", 1 if failed else 0)
            failures = reply.get("batchItemFailures") if isinstance(reply, dict) else None
            if isinstance(failures, list):
                metrics.count("BatchItemFailures", len(failures))
            metrics.milliseconds("EventDuration", duration_ms)
        self.flush()

    def flush(self) -> None:
        if self.metrics is not None:
            self.metrics.flush()


@contextlib.contextmanager
def _annotated(tracer: Any, kind: Kind, cold_start: bool) -> Any:
    with tracer.provider.in_subsegment(name="## django_lambda_bridge") as subsegment:
        subsegment.put_annotation(key="ColdStart", value=cold_start)
        subsegment.put_annotation(key="EventKind", value=kind.value)
        yield subsegment


def _tracer(service: str) -> Any:
    try:
        import aws_xray_sdk  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "LAMBDA_BRIDGE['TRACING'] needs the X-Ray SDK: pip install aws-xray-sdk (or "
            "'aws-lambda-powertools[tracer]'), and turn on Tracing: Active for the function."
        ) from None
    from aws_lambda_powertools import Tracer

    return Tracer(service=service)
