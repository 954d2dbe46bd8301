"""Short-lived signed download links: a browser cannot send a bearer header with a link.

A link names the path, the user it was made for and its expiry, signed with HMAC-SHA256.
The file endpoint checks the signature and then checks the user's ownership again, so a
revoked user or a link passed to someone else for another account reaches nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

LINK_SECONDS = 15 * 60


def _signature(secret: str, path: str, user_id: int, expires: int) -> str:
    message = f"{path}|{user_id}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_link(secret: str, path: str, user_id: int, params: dict[str, str] | None = None) -> str:
    expires = int(time.time()) + LINK_SECONDS
    signed_path = f"{path}?{urlencode(params)}" if params else path
    query = urlencode({"u": user_id, "exp": expires, "sig": _signature(secret, signed_path, user_id, expires)})
    return f"{signed_path}{'&' if params else '?'}{query}"


def verify_link(secret: str, signed_path: str, user_id: int, expires: int, signature: str) -> bool:
    """`signed_path` is the path plus its own parameters, without u/exp/sig."""
    if expires < time.time():
        return False
    expected = _signature(secret, signed_path, user_id, expires)
    return hmac.compare_digest(expected, signature)
