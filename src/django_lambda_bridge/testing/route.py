"""Where a Lambda test client's requests go: event format, stage, handler, gateway settings."""

from __future__ import annotations

from dataclasses import dataclass

from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.testing.events import FORMATS

#: What docs/http.md tells REST API users to set, so the default models a correct API.
DEFAULT_BINARY_MEDIA_TYPES = ("*/*",)


@dataclass(frozen=True)
class LambdaRoute:
    """Where the client's requests go: event format, stage and handler."""

    events: str = "v1"
    #: ``None`` picks the format's usual stage ("prod" for v1, none otherwise);
    #: ``""`` means no stage in the URL (a custom domain).
    stage: str | None = None
    handler: str | None = None
    #: The REST API's ``binaryMediaTypes`` (v1 only; other sources have no such setting).
    binary_media_types: tuple[str, ...] = DEFAULT_BINARY_MEDIA_TYPES

    def __post_init__(self) -> None:
        if self.events not in FORMATS:
            raise ConfigurationError(
                f"Unknown Lambda event format {self.events!r}; choose one of {', '.join(FORMATS)}."
            )
        if self.stage and (self.events not in ("v1", "v2") or "/" in self.stage):
            raise ConfigurationError(
                f"A stage ({self.stage!r}) only applies to v1 and v2 events and must be one "
                "path segment; Function URLs and ALBs have none."
            )
        for media in self.binary_media_types:
            if media.count("/") != 1 or not all(media.split("/")):
                raise ConfigurationError(
                    f"Binary media type {media!r} is not 'type/subtype' (wildcards: '*/*', "
                    "'image/*')."
                )

    @property
    def stage_name(self) -> str:
        if self.stage is not None:
            return self.stage
        return "prod" if self.events == "v1" else ""

    def describe(self) -> str:
        stage = f" under stage {self.stage_name!r}" if self.stage_name else ""
        handler = f" through {self.handler}" if self.handler else ""
        binary = ""
        if self.events == "v1" and self.binary_media_types != DEFAULT_BINARY_MEDIA_TYPES:
            binary = f" (binaryMediaTypes: {', '.join(self.binary_media_types) or 'none'})"
        return f"{self.events} events{stage}{handler}{binary}"


def parse_media_types(value: str) -> tuple[str, ...]:
    """``"image/png, application/pdf"`` -> a tuple; ``""`` means none."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def media_type(header_value: str) -> str:
    """``"text/html; charset=utf-8"`` -> ``"text/html"``; the first of a list (``Accept``)."""
    return header_value.split(",", 1)[0].split(";", 1)[0].strip().lower()


def matches_media_types(media: str, patterns: tuple[str, ...]) -> bool:
    """Whether API Gateway's ``binaryMediaTypes`` (``*`` wildcards allowed) cover ``media``."""
    kind, _, sub = media.partition("/")
    for pattern in patterns:
        want_kind, _, want_sub = pattern.lower().partition("/")
        if want_kind in ("*", kind) and want_sub in ("*", sub):
            return True
    return False
