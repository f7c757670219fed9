"""CloudWatch metrics in the Embedded Metric Format, through Powertools Metrics.

EMF metrics are JSON lines on stdout that CloudWatch turns into metrics: no
API call, no boto3, nothing to wait for. Flushed at the end of every
invocation (and at SIGTERM). Imported only when ``METRICS`` is on.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = logging.getLogger("django_lambda_bridge.observability")


class EmfMetrics:
    def __init__(self, namespace: str, service: str) -> None:
        self.metrics = Metrics(namespace=namespace, service=service)
        self.pending = False

    def count(self, name: str, value: float = 1) -> None:
        self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        self.pending = True

    def milliseconds(self, name: str, value: float) -> None:
        self.metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)
        self.pending = True

    def flush(self) -> None:
        if not self.pending:
            return
        self.pending = False
        try:
            self.metrics.flush_metrics()
        except Exception:  # a metric must never fail the invocation it describes
            logger.warning("Could not flush metrics", exc_info=True)
