"""Secrets the gateway must read back later (a queued mail's text), encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256) under a key derived with HKDF-SHA256 from the deployment's
secret key, one key per purpose: a copy of the store without the secret key reads nothing.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Unreadable(Exception):
    """Sealed under another secret key, or altered."""


class Sealer:
    def __init__(self, secret_key: str, purpose: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"ventanilla:{purpose}".encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived.derive(secret_key.encode())))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken:
            raise Unreadable from None
