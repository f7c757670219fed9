"""VPC Lattice events for tests, written from AWS's documented shapes (both structures).

v1 (the original structure): snake_case keys, single-value ``headers`` and
``query_string_parameters``, no ``requestContext``. v2: ``version: "2.0"``,
list-valued headers and query parameters, and a ``requestContext`` naming the
service network, target group and caller. VPC Lattice itself adds
``x-forwarded-for`` (the source address) and ``x-forwarded-for-proto``/
``-port`` (documented in the VPC Lattice user guide, "HTTP targets").
"""

from __future__ import annotations

from base64 import b64encode
from typing import Any
from urllib.parse import parse_qsl

HOST = "svc-0123.7d67968.vpc-lattice-svcs.us-east-1.on.aws"
SOURCE_IP = "10.0.1.23"


def lattice_event(
    version: int,
    method: str = "GET",
    path: str = "/",
    *,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    source_ip: str = SOURCE_IP,
    proto: str = "https",
    principal: str | None = None,
) -> dict[str, Any]:
    path, _, query = path.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    sent = [("host", HOST), *(headers or [])]
    forwarded = [v for n, v in sent if n.lower() == "x-forwarded-for"]
    sent = [(n, v) for n, v in sent if n.lower() != "x-forwarded-for"]
    sent += [
        ("x-forwarded-for", ", ".join([*forwarded, source_ip])),
        ("x-forwarded-for-proto", proto),
        ("x-forwarded-for-port", "443" if proto == "https" else "80"),
    ]
    raw = body.encode() if isinstance(body, str) else body
    if version == 1:
        single: dict[str, str] = {}
        for name, value in sent:
            single[name] = f"{single[name]},{value}" if name in single else value
        return {
            "raw_path": path,
            "method": method,
            "headers": single,
            "query_string_parameters": dict(pairs),
            "body": b64encode(raw).decode() if raw else "",
            "is_base64_encoded": bool(raw),
        }
    multi: dict[str, list[str]] = {}
    for name, value in sent:
        multi.setdefault(name, []).append(value)
    query_multi: dict[str, list[str]] = {}
    for key, value in pairs:
        query_multi.setdefault(key, []).append(value)
    identity: dict[str, Any] = {"sourceVpcArn": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1"}
    if principal:
        identity.update(type="AWS_IAM", principal=principal, sessionName="s1")
    return {
        "version": "2.0",
        "path": path,
        "method": method,
        "headers": multi,
        "queryStringParameters": query_multi,
        "body": raw.decode() if raw else "",
        "isBase64Encoded": False,
        "requestContext": {
            "serviceNetworkArn": "arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-1",
            "serviceArn": "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123",
            "targetGroupArn": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-1",
            "identity": identity,
            "region": "us-east-1",
            "timeEpoch": "1696331543569073",
        },
    }
