"""Signed access tokens (JWT, HS256) through joserfc, the JOSE library of the Authlib project.

A user's token names its session (`sid`), checked against the store on every request so a
revoked session stops at once; a partner's token names its client (`cid`) and its scopes.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ISSUER = "ventanilla"
_ALGORITHM = "HS256"
_CLIENT_PREFIX = "client:"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int | None
    token_id: str
    issued_at: int
    expires_at: int
    session_id: str | None = None
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()


class TokenError(Exception):
    """The token is malformed, badly signed or expired."""


def _encode(secret: str, subject: str, minutes: int, extra: dict[str, Any]) -> tuple[str, int]:
    now = int(time.time())
    lifetime = minutes * 60
    claims = {"iss": ISSUER, "sub": subject, "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex, **extra}
    return jwt.encode({"alg": _ALGORITHM}, claims, OctKey.import_key(secret)), lifetime


def issue_access_token(
    secret: str, user_id: int, minutes: int, session_id: str | None = None
) -> tuple[str, int]:
    """A signed access token for `user_id` in session `session_id` and its lifetime in seconds."""
    return _encode(secret, str(user_id), minutes, {"sid": session_id} if session_id else {})


def issue_client_token(secret: str, client_id: str, scopes: frozenset[str], minutes: int) -> tuple[str, int]:
    """A partner client's token (OAuth2 client credentials): no user, only its granted scopes."""
    return _encode(secret, _CLIENT_PREFIX + client_id, minutes, {"cid": client_id, "scope": " ".join(sorted(scopes))})


def read_access_token(secret: str, token: str) -> AccessClaims:
    """Verify signature, issuer and expiry; raise TokenError otherwise."""
    try:
        decoded = jwt.decode(token, OctKey.import_key(secret), algorithms=[_ALGORITHM])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(decoded.claims)
        claims = decoded.claims
        subject = str(claims["sub"])
        client_id = str(claims["cid"]) if subject.startswith(_CLIENT_PREFIX) and claims.get("cid") else None
        return AccessClaims(
            user_id=None if client_id else int(subject),
            token_id=str(claims.get("jti", "")),
            issued_at=int(claims.get("iat", 0)),
            expires_at=int(claims["exp"]),
            session_id=str(claims["sid"]) if claims.get("sid") else None,
            client_id=client_id,
            scopes=frozenset(str(claims.get("scope", "")).split()) if client_id else frozenset(),
        )
    except (JoseError, ValueError, KeyError) as exc:
        raise TokenError(str(exc)) from exc
