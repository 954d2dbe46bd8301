"""The customers listing's order and cursor as the API has them, for the contenders that page it
by hand (W4): the name folded (lower case, accents off, connectors/text.py) and compared by code
point, then the code, then the id; a cursor carries the three, `|`-separated, each escaped."""

from __future__ import annotations

import base64

# What folding turns into what (connectors/text.py FOLDS), written out here, as the cursor's
# escaping below mirrors connectors/keyset.py's, so that the floor imports nothing of Ventanilla's
# connectors (SQLAlchemy among them); were the two to part, the bench's answer check would flag
# the floor's W4.
_FOLD_FROM = "ABCDEFGHIJKLMNOPQRSTUVWXYZáàâäãåÁÀÂÄÃÅéèêëÉÈÊËíìîïÍÌÎÏóòôöõøÓÒÔÖÕØúùûüÚÙÛÜñÑçÇýÿÝ"
_FOLD_TO = "abcdefghijklmnopqrstuvwxyzaaaaaaaaaaaaeeeeeeeeiiiiiiiioooooooooooouuuuuuuunnccyyy"
_TABLE = str.maketrans(_FOLD_FROM, _FOLD_TO)

# The very expression of the native store's index on customers, so that the database serves the order.
FOLDED_NAME = f"translate(coalesce(c.name, ''), '{_FOLD_FROM}', '{_FOLD_TO}') COLLATE \"C\""
ORDER = f"{FOLDED_NAME}, coalesce(c.code, '') COLLATE \"C\", c.id"


def fold(name: str) -> str:
    """A name as the listing compares it: "Sofía GONZÁLEZ" → "sofia gonzalez"."""
    return name.translate(_TABLE)


def cursor(folded_name: str, code: str | None, customer_id: int) -> str:
    """The listing's cursor after this customer, as Ventanilla writes it."""
    text = "|".join((_escaped(folded_name), _escaped(code or ""), str(customer_id)))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_parts(cursor: str) -> tuple[str, str, int]:
    """(folded name, code, id) of a listing cursor, each part unescaped (`\\|` is a `|` of the text)."""
    text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    name, code, customer_id = [*parts, "".join(current)]
    return name, code, int(customer_id)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")
