"""Key conversions between canonical ids (strings) and legacy key values, named in mappings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class KeyCodec:
    """`to_db` turns a canonical id into the stored key (None: no row can have it); `from_db` back."""

    name: str
    to_db: Callable[[str], object | None]
    from_db: Callable[[object], str]


def _int_to_db(key: str) -> int | None:
    if not (key.isascii() and key.isdigit()):
        return None
    value = int(key)
    # "042" is not a spelling of 42: canonical ids are str(value).
    return value if str(value) == key and 0 < value <= _MAX_INT else None


def _alpha(width: int) -> KeyCodec:
    """SAP's ALPHA conversion: digits are zero-padded to `width`, other keys stored as they are."""

    def to_db(key: str) -> str | None:
        if not key or len(key) > width or key != key.strip():
            return None
        if key.isascii() and key.isdigit():
            return key.zfill(width) if key == key.lstrip("0") else None
        return key

    def from_db(value: object) -> str:
        text = str(value).strip()
        return (text.lstrip("0") or "0") if text.isdigit() else text

    return KeyCodec(f"alpha:{width}", to_db, from_db)


def _prefixed(prefix: str, width: int) -> KeyCodec:
    """Codes like SAP Business One's CardCode `C000042`: a prefix and a zero-padded number."""

    def to_db(key: str) -> str | None:
        if key.isascii() and key.isdigit() and key == key.lstrip("0") and len(key) <= width:
            return prefix + key.zfill(width)
        return None

    def from_db(value: object) -> str:
        text = str(value).strip()
        digits = text.removeprefix(prefix)
        return (digits.lstrip("0") or "0") if text.startswith(prefix) and digits.isdigit() else text

    return KeyCodec(f"prefixed:{prefix}:{width}", to_db, from_db)


def _text_to_db(key: str) -> str | None:
    return key or None


INT = KeyCodec("int", _int_to_db, lambda value: str(value))
TEXT = KeyCodec("text", _text_to_db, lambda value: str(value).strip())


def key_codec(name: str) -> KeyCodec:
    """`int`, `text`, `alpha:N` (SAP zero-padded keys such as KUNNR `alpha:10`) or `prefixed:P:N`."""
    if name == "int":
        return INT
    if name == "text":
        return TEXT
    kind, _, width = name.partition(":")
    if kind == "alpha" and width.isdigit():
        return _alpha(int(width))
    prefix, _, digits = width.rpartition(":")
    if kind == "prefixed" and prefix and digits.isdigit():
        return _prefixed(prefix, int(digits))
    raise ValueError(f"unknown key conversion {name!r} (int, text, alpha:N, prefixed:P:N)")
