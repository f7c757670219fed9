"""Shared set-up for the benchmarks: the project on sys.path, the SQLite file, the events.

Kept free of Django imports at module level so the cold-start children can
import it before their clock starts without paying for Django.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SETTINGS = "benchproject.settings"
PATH = "/books/"
FORMATS = ("v1", "v2")


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked endpoint: its settings module, path and the request formats sent."""

    settings: str
    path: str
    formats: tuple[str, ...]
    description: str


ENDPOINTS = {
    "books": Endpoint(
        SETTINGS,
        PATH,
        FORMATS,
        "GET /books/: ListAPIView, 5 SQLite rows, stock middleware (realistic)",
    ),
    "trivial": Endpoint(
        "benchproject.settings_trivial",
        "/ping/",
        ("v1", "v2", "v2-post"),
        "/ping/: APIView, small JSON reply, no database, CommonMiddleware only (trivial)",
    ),
}
#: The body of the ``v2-post`` requests: a small JSON document, echoed back.
POST_BODY = {"name": "Dune", "tags": ["sf", "classic"], "pages": 412}


def use_project(db_path: str | None = None, settings: str = SETTINGS) -> str:
    """Put benchproject on sys.path and point its settings at a SQLite file."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    if db_path is None:
        db_path = os.path.join(tempfile.mkdtemp(prefix="dlb-bench-"), "bench.sqlite3")
    os.environ["BENCH_DB"] = db_path
    return db_path


# Headers as API Gateway delivers them behind its CloudFront edge (v1) and for
# an HTTP API (v2): the translation cost depends on how many there are.
_V1_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate, br",
    "Accept-Language": "en-GB,en;q=0.9",
    "CloudFront-Forwarded-Proto": "https",
    "CloudFront-Is-Desktop-Viewer": "true",
    "CloudFront-Is-Mobile-Viewer": "false",
    "CloudFront-Is-SmartTV-Viewer": "false",
    "CloudFront-Is-Tablet-Viewer": "false",
    "CloudFront-Viewer-Country": "GB",
    "User-Agent": "python-requests/2.32.3",
    "Via": "2.0 4b5e2f0c1d3a.cloudfront.net (CloudFront)",
    "X-Amz-Cf-Id": "q8bL0d3cT0yPp9Z6r7gQk5V2xJ1mN4sW8eR3tY6uI0oP9aS2dF==",
    "X-Amzn-Trace-Id": "Root=1-67a0b1c2-0123456789abcdef01234567",
    "X-Forwarded-For": "203.0.113.10, 130.176.1.1",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}
_V2_HEADERS = {
    "accept": "application/json",
    "accept-encoding": "gzip, deflate, br",
    "accept-language": "en-GB,en;q=0.9",
    "user-agent": "python-requests/2.32.3",
    "x-amzn-trace-id": "Root=1-67a0b1c2-0123456789abcdef01234567",
    "x-forwarded-for": "203.0.113.10",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
}


def make_event(fmt: str, path: str = PATH) -> dict[str, Any]:
    """v1: REST API on the execute-api host, stage ``prod``; v2: HTTP API, ``$default``.

    v2 uses ``$default`` because bare apig-wsgi (and serverless-wsgi) would
    route a named stage's ``/prod/books/`` to a 404, and the comparison must be
    the same request served the same way. ``v2-post`` sends ``POST_BODY`` as JSON.
    """
    from django_lambda_bridge.testing.events import apigw_http_event, apigw_rest_event

    if fmt == "v1":
        return apigw_rest_event("GET", path, stage="prod", headers=_V1_HEADERS)
    if fmt == "v2":
        return apigw_http_event("GET", path, headers=_V2_HEADERS)
    if fmt == "v2-post":
        headers = {**_V2_HEADERS, "content-type": "application/json"}
        return apigw_http_event("POST", path, headers=headers, body=json.dumps(POST_BODY))
    raise ValueError(f"unknown format {fmt!r}")


def reply_body(reply: dict[str, Any]) -> tuple[int, Any]:
    """Status and parsed JSON body of a Lambda HTTP reply, to check variants agree."""
    import base64

    body = reply.get("body") or ""
    raw = base64.b64decode(body) if reply.get("isBase64Encoded") else body.encode()
    return int(reply["statusCode"]), json.loads(raw)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def machine() -> dict[str, Any]:
    import importlib.metadata as md

    versions = {}
    for dist in (
        "django",
        "djangorestframework",
        "apig-wsgi",
        "serverless-wsgi",
        "mangum",
        "django-lambda-bridge",
    ):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            versions[dist] = None
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "versions": versions,
    }
