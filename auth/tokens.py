"""Signed access tokens (JWT, HS256) through joserfc, the JOSE library of the Authlib project."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ISSUER = "ventanilla"
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    token_id: str
    issued_at: int
    expires_at: int


class TokenError(Exception):
    """The token is malformed, badly signed or expired."""


def issue_access_token(secret: str, user_id: int, minutes: int) -> tuple[str, int]:
    """A signed access token for `user_id` and its lifetime in seconds."""
    now = int(time.time())
    lifetime = minutes * 60
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode({"alg": _ALGORITHM}, claims, OctKey.import_key(secret))
    return token, lifetime


def read_access_token(secret: str, token: str) -> AccessClaims:
    """Verify signature, issuer and expiry; raise TokenError otherwise."""
    try:
        decoded = jwt.decode(token, OctKey.import_key(secret), algorithms=[_ALGORITHM])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(decoded.claims)
        return AccessClaims(
            user_id=int(decoded.claims["sub"]),
            token_id=str(decoded.claims.get("jti", "")),
            issued_at=int(decoded.claims.get("iat", 0)),
            expires_at=int(decoded.claims["exp"]),
        )
    except (JoseError, ValueError, KeyError) as exc:
        raise TokenError(str(exc)) from exc
