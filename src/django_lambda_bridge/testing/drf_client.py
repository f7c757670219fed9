"""DRF's ``APIClient`` with every request sent through the Lambda handler.

Kept apart from ``testing.client`` so that importing the Django client never
imports DRF.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.base import BaseHandler
from rest_framework.test import APIClient

from django_lambda_bridge.testing.client import LambdaCallable, LambdaClientMixin


class LambdaAPIClient(LambdaClientMixin, APIClient):
    """``rest_framework.test.APIClient`` whose requests travel as Lambda events.

    Takes ``events``, ``stage``, ``handler`` and ``wsgi_app`` like
    ``LambdaClient``. ``force_authenticate``, ``credentials`` and
    ``enforce_csrf_checks`` work as in-process: the forced user is set on the
    request inside the handler, before the view runs.
    """

    def __init__(
        self,
        enforce_csrf_checks: bool = False,
        *,
        events: str | None = None,
        stage: str | None = None,
        handler: LambdaCallable | str | None = None,
        wsgi_app: BaseHandler | None = None,
        **defaults: Any,
    ) -> None:
        super().__init__(enforce_csrf_checks, **defaults)
        self._use_lambda(enforce_csrf_checks, events, stage, handler, wsgi_app)
