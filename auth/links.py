"""Short-lived signed download links: a browser cannot send a bearer header with a link.

A link names the path, the user and the sign-in session it was made for and its expiry,
signed with HMAC-SHA256. The file endpoint checks the signature, then the user, the session
and the ownership again, so a revoked user, an ended session (signOut) or a link passed to
someone else for another account reaches nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

LINK_SECONDS = 15 * 60
LINK_PARAMS = ("u", "s", "exp", "sig")  # what a link adds to the path's own parameters


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a link that came back says: the signed path and who it was signed for, until when."""

    signed_path: str
    user_id: int
    session_id: str
    expires: int
    signature: str


def _signature(secret: str, path: str, user_id: int, session_id: str, expires: int) -> str:
    message = f"{path}|{user_id}|{session_id}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _with_params(path: str, params: Sequence[tuple[str, str]]) -> str:
    # The one encoding of a path's own parameters, shared by signing and reading back.
    return f"{path}?{urlencode(params)}" if params else path


def signed_link(
    secret: str, path: str, user_id: int, session_id: str, params: dict[str, str] | None = None
) -> str:
    expires = int(time.time()) + LINK_SECONDS
    signed_path = _with_params(path, list((params or {}).items()))
    signature = _signature(secret, signed_path, user_id, session_id, expires)
    query = urlencode({"u": user_id, "s": session_id, "exp": expires, "sig": signature})
    return f"{signed_path}{'&' if params else '?'}{query}"


def read_link(path: str, query_string: str) -> LinkClaims | None:
    """The claims of a link `signed_link` made, from the path and raw query a browser sent back.

    The path's own parameters are re-encoded as `signed_link` encoded them, in the order they
    came, so a client that percent-encodes differently still matches. None when u/s/exp/sig are
    missing or repeated, u/exp not numbers or s not a session id.
    """
    pairs = parse_qsl(query_string, keep_blank_values=True)
    own = [(k, v) for k, v in pairs if k in LINK_PARAMS]
    values = dict(own)
    if len(own) != len(LINK_PARAMS) or len(values) != len(LINK_PARAMS):
        return None
    user_id, session_id, expires = values["u"], values["s"], values["exp"]
    numbers = user_id.isascii() and user_id.isdigit() and expires.isascii() and expires.isdigit()
    if not (numbers and session_id.isascii() and session_id.isalnum() and len(session_id) <= 64):
        return None
    rest = [(k, v) for k, v in pairs if k not in LINK_PARAMS]
    return LinkClaims(_with_params(path, rest), int(user_id), session_id, int(expires), values["sig"])


def verify_link(secret: str, claims: LinkClaims) -> bool:
    """The link is unexpired and signed with `secret` for its path, user and session."""
    if claims.expires < time.time():
        return False
    expected = _signature(secret, claims.signed_path, claims.user_id, claims.session_id, claims.expires)
    # As bytes: compare_digest refuses non-ASCII str, and a tampered link may carry some.
    return hmac.compare_digest(expected.encode(), claims.signature.encode())
