"""The one documented way to reach the Lambda event from a Django request."""

from __future__ import annotations

from typing import Any

from django_lambda_bridge.http.authorizer import Authorizer
from django_lambda_bridge.kinds import Kind

ENVIRON_KEY = "django_lambda_bridge.info"


class LambdaInfo:
    """What Lambda and API Gateway know about this request that HTTP does not carry.

    It sits in ``request.META``, which Django's error reports print (the DEBUG
    page, admin error emails). Its repr therefore leaves out the event and the
    context: the event holds the raw ``Authorization`` and ``Cookie`` headers.
    Read-only; a plain slotted class because one is built per request.
    """

    __slots__ = ("_authorizer", "_context", "_event", "_kind", "_request_id")

    def __init__(
        self,
        kind: Kind,
        event: dict[str, Any],
        context: Any,
        request_id: str | None,
        authorizer: Authorizer | None,
    ) -> None:
        self._kind = kind
        self._event = event
        self._context = context
        self._request_id = request_id
        self._authorizer = authorizer

    @property
    def kind(self) -> Kind:
        return self._kind

    @property
    def event(self) -> dict[str, Any]:
        """The raw event, unchanged (it holds credentials: never log it whole)."""
        return self._event

    @property
    def context(self) -> Any:
        return self._context

    @property
    def request_id(self) -> str | None:
        """API Gateway's (or ALB's trace) id for this request; matches its access logs."""
        return self._request_id

    @property
    def authorizer(self) -> Authorizer | None:
        return self._authorizer

    @property
    def aws_request_id(self) -> str | None:
        """Lambda's invocation id, as printed in the function's CloudWatch logs."""
        value = getattr(self._context, "aws_request_id", None)
        return value if isinstance(value, str) else None

    @property
    def claims(self) -> dict[str, Any]:
        return dict(self._authorizer.claims) if self._authorizer else {}

    def __repr__(self) -> str:
        return (
            f"LambdaInfo(kind={self._kind!r}, request_id={self._request_id!r}, "
            f"aws_request_id={self.aws_request_id!r}, authorizer={self._authorizer!r})"
        )


def lambda_info(request: Any) -> LambdaInfo | None:
    """Return the Lambda details of a Django or DRF request, or None off Lambda."""
    meta = getattr(request, "META", None)
    if meta is None:
        return None
    info = meta.get(ENVIRON_KEY)
    return info if isinstance(info, LambdaInfo) else None
