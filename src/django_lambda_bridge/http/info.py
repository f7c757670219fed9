"""The one documented way to reach the Lambda event from a Django request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django_lambda_bridge.http.authorizer import Authorizer
from django_lambda_bridge.kinds import Kind

ENVIRON_KEY = "django_lambda_bridge.info"


@dataclass(frozen=True, slots=True)
class LambdaInfo:
    """What Lambda and API Gateway know about this request that HTTP does not carry.

    It sits in ``request.META``, which Django's error reports print (the DEBUG
    page, admin error emails). Its repr therefore leaves out the event and the
    context: the event holds the raw ``Authorization`` and ``Cookie`` headers.
    """

    kind: Kind
    event: dict[str, Any] = field(repr=False)
    context: Any = field(repr=False)
    #: API Gateway's (or ALB's trace) id for this request; matches its access logs.
    request_id: str | None
    authorizer: Authorizer | None

    @property
    def aws_request_id(self) -> str | None:
        """Lambda's invocation id, as printed in the function's CloudWatch logs."""
        value = getattr(self.context, "aws_request_id", None)
        return value if isinstance(value, str) else None

    @property
    def claims(self) -> dict[str, Any]:
        return dict(self.authorizer.claims) if self.authorizer else {}


def lambda_info(request: Any) -> LambdaInfo | None:
    """Return the Lambda details of a Django or DRF request, or None off Lambda."""
    meta = getattr(request, "META", None)
    if meta is None:
        return None
    info = meta.get(ENVIRON_KEY)
    return info if isinstance(info, LambdaInfo) else None
