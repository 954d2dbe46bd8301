"""One-time secrets: reset tokens, 6-digit codes, generated passwords; and how they are stored (hashed)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache
from importlib import resources

CODE_DIGITS = 6


def keyed_hash(secret_key: str, value: str) -> str:
    """HMAC-SHA256 under the deployment's key: a stolen table cannot be brute-forced offline
    (a 6-digit code has only a million values, so a plain hash would not protect it)."""
    return hmac.new(secret_key.encode(), value.strip().encode(), hashlib.sha256).hexdigest()


def new_reset_token() -> str:
    return secrets.token_urlsafe(32)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@cache
def words() -> tuple[str, ...]:
    """The shipped Spanish word list (see the header of auth/words_es.txt for its source)."""
    text = resources.files("ventanilla.auth").joinpath("words_es.txt").read_text(encoding="utf-8")
    return tuple(line for line in (raw.strip() for raw in text.splitlines()) if line and not line.startswith("#"))


def generate_password() -> str:
    """Two random words joined by a dot, e.g. `perro.calamar` (FEATURES.md A8), from `secrets`."""
    pool = words()
    first = secrets.choice(pool)
    second = secrets.choice(pool)
    while second == first:
        second = secrets.choice(pool)
    return f"{first}.{second}"
