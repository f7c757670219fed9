"""The stage and the base path: what of the client's URL goes into SCRIPT_NAME.

Django builds every URL from SCRIPT_NAME, so the part of the client's URL that
API Gateway routed on (the stage on the execute-api host, a custom domain's
base path mapping) must be there, and out of PATH_INFO.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.http.fields import Malformed, path_info


def is_custom_domain(domain: Any) -> bool:
    return isinstance(domain, str) and bool(domain) and ".execute-api." not in domain


def stage_name(rc: Mapping[str, Any]) -> str:
    """The named stage, or "" for none and ``$default``; stage names are ASCII on AWS."""
    stage = rc.get("stage")
    if stage is None or stage == "$default":
        return ""
    if type(stage) is not str or not stage.isascii() or "/" in stage:
        raise Malformed
    return stage


def move_prefix(environ: dict[str, Any], prefix: str, into_script_name: bool) -> None:
    """Move ``prefix`` (whole segments only) from PATH_INFO to SCRIPT_NAME."""
    path = environ["PATH_INFO"]
    if path != prefix and not path.startswith(prefix + "/"):
        return
    environ["PATH_INFO"] = path[len(prefix) :] or "/"
    if into_script_name:
        environ["SCRIPT_NAME"] += prefix


def rest_prefix(
    environ: Mapping[str, Any], event: Mapping[str, Any], rc: Mapping[str, Any], stage: str
) -> str:
    """The part of the client's URL that a REST API removed before the route.

    REST strips the stage from 'path' but keeps it in 'requestContext.path', so
    the difference is exactly the client's prefix.
    """
    path, rc_path = event["path"], rc.get("path")
    if type(rc_path) is str and rc_path != path:
        if path != "/" and rc_path.endswith(path):
            prefix = rc_path[: -len(path)]
        elif path == "/":
            prefix = rc_path.rstrip("/")
        else:
            prefix = ""
        if prefix.startswith("/") and "?" not in prefix:
            return path_info(prefix)
    if (
        stage
        and not is_custom_domain(rc.get("domainName"))
        and ".execute-api." in environ.get("HTTP_HOST", "")
    ):
        return f"/{stage}"
    return ""


def base_path(environ: dict[str, Any], domain: Any, conf: BridgeSettings) -> None:
    """A custom domain's API mapping key; the execute-api host has none."""
    if conf.BASE_PATH and is_custom_domain(domain or environ.get("HTTP_HOST")):
        move_prefix(environ, conf.BASE_PATH, into_script_name=True)
