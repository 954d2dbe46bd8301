"""The webhook signature: `Ventanilla-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

Signed as Stripe signs its webhooks: the receiver recomputes the HMAC over the timestamp and the
raw body with the shared secret, compares in constant time, and refuses an old timestamp (a
replayed request). Several `v1=` values may appear while a secret is being rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Ventanilla-Signature"
TOLERANCE_SECONDS = 300  # what a receiver should accept between the timestamp and its clock


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the Ventanilla-Signature header for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify(secret: str, header: str, body: bytes, tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """Whether `header` signs exactly `body` with `secret`, at a time within `tolerance` seconds of now."""
    parts = [part.partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in parts if key.strip() == "t"]
    candidates = [value.strip() for key, _, value in parts if key.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not candidates:
        return False
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = signature(secret, t, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
