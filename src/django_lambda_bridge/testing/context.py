"""A stand-in for the Lambda context object, with a deadline tests can move."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field


@dataclass
class FakeContext:
    """Has the attributes the Lambda Python runtime's context has.

    The deadline is real wall-clock time: ``get_remaining_time_in_millis``
    counts down from ``timeout_ms``. Set ``remaining_ms`` to jump it.
    """

    function_name: str = "django-lambda-bridge-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    timeout_ms: int = 30_000
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/django-lambda-bridge-test"
    log_stream_name: str = "2026/11/30/[$LATEST]0123456789abcdef"
    _deadline: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_ms / 1000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    @property
    def remaining_ms(self) -> int:
        return self.get_remaining_time_in_millis()

    @remaining_ms.setter
    def remaining_ms(self, value: int) -> None:
        self._deadline = time.monotonic() + value / 1000
