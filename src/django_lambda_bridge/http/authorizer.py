"""Normalise what API Gateway authorizers vouch for into one shape.

Claims are read from ``requestContext`` only: API Gateway writes it and clients
cannot. Headers are never consulted, so a forged ``X-User`` header cannot
become an identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django_lambda_bridge.kinds import Kind

#: Keys of a REST API ``identity`` block that say who signed an IAM request.
_IAM_IDENTITY_KEYS = (
    "accessKey",
    "accountId",
    "caller",
    "user",
    "userArn",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "principalOrgId",
)


@dataclass(frozen=True)
class Authorizer:
    """Who the API's authorizer says the caller is.

    ``type`` is one of ``"cognito"``, ``"jwt"``, ``"lambda"`` or ``"iam"``.
    ``principal`` is the user name picked from the claims (see the
    ``USERNAME_CLAIMS`` setting), or the IAM user ARN.
    """

    type: str
    principal: str | None
    claims: Mapping[str, Any] = field(default_factory=dict)
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Error reports print reprs; a Lambda authorizer's context may hold anything,
        # so only the claim names are shown.
        return (
            f"Authorizer(type={self.type!r}, principal={self.principal!r}, "
            f"claims=<{', '.join(map(str, self.claims))}>, scopes={self.scopes!r})"
        )


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _scopes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _jwt_scopes(scopes: Any, claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The authorizer's scope list, else the token's own ``scope`` claim.

    API Gateway fills ``scopes`` only when the route requires scopes; the
    space-separated OAuth ``scope`` claim is the same information.
    """
    return _scopes(scopes) or _scopes(claims.get("scope"))


def _pick(claims: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _iam(claims: Mapping[str, Any]) -> Authorizer:
    principal = claims.get("userArn") or claims.get("caller") or claims.get("callerId")
    return Authorizer("iam", principal if isinstance(principal, str) else None, dict(claims))


def _lattice(request_context: Mapping[str, Any]) -> Authorizer | None:
    """VPC Lattice v2 names the SigV4-authenticated caller in ``requestContext.identity``."""
    identity = _mapping(request_context.get("identity")) or {}
    principal = identity.get("principal")
    if identity.get("type") != "AWS_IAM" or not isinstance(principal, str) or not principal:
        return None
    return Authorizer("iam", principal, {k: v for k, v in identity.items() if v is not None})


def read_authorizer(
    kind: Kind, request_context: Mapping[str, Any], username_claims: tuple[str, ...]
) -> Authorizer | None:
    """Return the normalised authorizer result, or None for an anonymous request."""
    if kind is Kind.VPC_LATTICE:
        return _lattice(request_context)
    raw = request_context.get("authorizer")
    if not raw:  # the common case: no authorizer; only a REST IAM identity is left
        if kind is not Kind.API_GATEWAY_V1:
            return None
        identity = request_context.get("identity")
        if type(identity) is not dict or not (identity.get("userArn") or identity.get("caller")):
            return None
    auth = _mapping(raw) or {}
    if kind is Kind.API_GATEWAY_V1:
        claims = _mapping(auth.get("claims"))
        if claims:
            return Authorizer(
                "cognito",
                _pick(claims, username_claims),
                dict(claims),
                _jwt_scopes(auth.get("scopes"), claims),
            )
        context = {
            k: v for k, v in auth.items() if k not in ("claims", "scopes", "integrationLatency")
        }
        if context:
            return Authorizer("lambda", _pick(context, username_claims), context)
        identity = _mapping(request_context.get("identity")) or {}
        iam = {k: identity[k] for k in _IAM_IDENTITY_KEYS if identity.get(k) is not None}
        if "userArn" in iam or "caller" in iam:
            return _iam(iam)
        return None
    if kind in (Kind.API_GATEWAY_V2, Kind.FUNCTION_URL):
        jwt = _mapping(auth.get("jwt"))
        if jwt is not None:
            jwt_claims = _mapping(jwt.get("claims")) or {}
            return Authorizer(
                "jwt",
                _pick(jwt_claims, username_claims),
                dict(jwt_claims),
                _jwt_scopes(jwt.get("scopes"), jwt_claims),
            )
        lambda_context = _mapping(auth.get("lambda"))
        if lambda_context is not None:
            return Authorizer(
                "lambda", _pick(lambda_context, username_claims), dict(lambda_context)
            )
        iam_claims = _mapping(auth.get("iam"))
        if iam_claims is not None:
            return _iam({k: v for k, v in iam_claims.items() if v is not None})
    return None
