"""DRF's ``APIClient`` with every request sent through the Lambda handler.

Kept apart from ``testing.clients`` so that importing the Django client never
imports DRF.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.handlers.base import BaseHandler
from rest_framework.test import APIClient

from django_lambda_bridge.testing.clients import LambdaClientMixin
from django_lambda_bridge.testing.loading import LambdaCallable


class LambdaAPIClient(LambdaClientMixin, APIClient):
    """``rest_framework.test.APIClient`` whose requests travel as Lambda events.

    Takes ``events``, ``stage``, ``handler``, ``wsgi_app`` and
    ``binary_media_types`` like ``LambdaClient``. ``force_authenticate``,
    ``credentials`` and ``enforce_csrf_checks`` work as in-process: the forced
    user is set on the request inside the handler, before the view runs.
    ``.data`` is DRF's pre-render value; every request also checks that the
    reply's bytes say what Django rendered (see ``ContractDifference``).
    """

    def __init__(
        self,
        enforce_csrf_checks: bool = False,
        *,
        events: str | None = None,
        stage: str | None = None,
        handler: LambdaCallable | str | None = None,
        wsgi_app: BaseHandler | None = None,
        binary_media_types: Sequence[str] | None = None,
        **defaults: Any,
    ) -> None:
        super().__init__(enforce_csrf_checks, **defaults)
        self._use_lambda(enforce_csrf_checks, events, stage, handler, wsgi_app, binary_media_types)
