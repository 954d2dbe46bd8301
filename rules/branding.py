"""The portal's branding and texts (FEATURES.md F2-F3): what is in force, and what an admin may set.

- `in_force(settings, stored)`: the branding a request serves: each key an admin stored
  (store/branding.py) over `[portal]` (and `[access] portal_url`) of the configuration;
- `checked_changes(...)`: an admin's input as the keys to store, every value checked first
  (BAD_INPUT naming the field): the name 1..80 characters, the colour `#rrggbb`, the portal URL
  an absolute http(s) URL, hints and titles up to 200 characters (an empty one clears it),
  payment button labels 1..60 characters per provider name.

Plain functions without I/O. The logo's bytes are checked as any uploaded image is
(rules/uploads.py) by the resolver; here it is only a blob key and its type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ApiError, ErrorCode
from ..settings import Settings

NAME, COLOR, LOGIN_HINT, PASSWORD_HINT = "name", "primary_color", "login_hint", "password_hint"
BUTTONS_TITLE, BUTTON_LABELS, PORTAL_URL = "payment_buttons_title", "payment_button_labels", "portal_url"
LOGO, LOGO_TYPE = "logo", "logo_type"  # the blob key of an uploaded logo, and its content type
KEYS = (NAME, COLOR, LOGIN_HINT, PASSWORD_HINT, BUTTONS_TITLE, BUTTON_LABELS, PORTAL_URL, LOGO, LOGO_TYPE)

COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")
MAX_NAME, MAX_TEXT, MAX_LABEL, MAX_URL, MAX_LABELS = 80, 200, 60, 300, 20
_PROVIDER = re.compile(r"[a-z0-9_-]{1,40}")


@dataclass(frozen=True, slots=True)
class Branding:
    """The branding in force for one request."""

    name: str
    primary_color: str
    login_hint: str | None
    password_hint: str | None
    payment_buttons_title: str | None
    payment_button_labels: Mapping[str, str]  # provider name -> label of its button
    portal_url: str  # the portal customers are handed (F3); links in e-mails start with it
    logo_key: str | None  # an uploaded logo in the blob store, served at /branding/logo/<key>
    logo_type: str | None
    logo_url: str | None  # [portal] logo_url: a logo hosted elsewhere, when none was uploaded


def in_force(settings: Settings, stored: Mapping[str, str | None]) -> Branding:
    """The stored keys over the configuration."""

    def pick(key: str, configured: str | None) -> str | None:
        return stored[key] if key in stored else configured

    labels = dict(settings.payment_button_labels)
    if BUTTON_LABELS in stored:  # "{}": the admin removed every label
        labels = json.loads(stored[BUTTON_LABELS] or "{}")
    return Branding(
        name=pick(NAME, settings.portal_name) or settings.portal_name,
        primary_color=pick(COLOR, settings.primary_color) or settings.primary_color,
        login_hint=pick(LOGIN_HINT, settings.login_hint),
        password_hint=pick(PASSWORD_HINT, settings.password_hint),
        payment_buttons_title=pick(BUTTONS_TITLE, settings.payment_buttons_title),
        payment_button_labels=labels,
        portal_url=pick(PORTAL_URL, settings.portal_url) or settings.portal_url,
        logo_key=stored.get(LOGO),
        logo_type=stored.get(LOGO_TYPE),
        logo_url=settings.logo_url,
    )


def checked_changes(
    *, name: str | None = None, primary_color: str | None = None, login_hint: str | None = None,
    password_hint: str | None = None, payment_buttons_title: str | None = None,
    payment_button_labels: Mapping[str, str] | None = None, portal_url: str | None = None,
) -> dict[str, str | None]:  # fmt: skip
    """The keys to store for what the admin sent (None: left as it is), or BAD_INPUT."""
    changes: dict[str, str | None] = {}
    if name is not None:
        text = name.strip()
        if not 1 <= len(text) <= MAX_NAME:
            raise _bad("name", f"de 1 a {MAX_NAME} caracteres", f"1 to {MAX_NAME} characters")
        changes[NAME] = text
    if primary_color is not None:
        if COLOR_PATTERN.fullmatch(primary_color.strip()) is None:
            raise _bad("primaryColor", "un color #rrggbb, p. ej. #1f6feb", "a colour #rrggbb, e.g. #1f6feb")
        changes[COLOR] = primary_color.strip().lower()
    for key, field, value in ((LOGIN_HINT, "loginHint", login_hint), (PASSWORD_HINT, "passwordHint", password_hint),
                              (BUTTONS_TITLE, "paymentButtonsTitle", payment_buttons_title)):  # fmt: skip
        if value is not None:
            if len(value.strip()) > MAX_TEXT:
                raise _bad(field, f"hasta {MAX_TEXT} caracteres", f"at most {MAX_TEXT} characters")
            changes[key] = value.strip() or None  # an empty text clears it
    if portal_url is not None:
        url = portal_url.strip()
        parts = urlsplit(url)
        if (
            len(url) > MAX_URL
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.username
        ):
            raise _bad("portalUrl", "una URL http(s) absoluta", "an absolute http(s) URL")
        changes[PORTAL_URL] = url
    if payment_button_labels is not None:
        if len(payment_button_labels) > MAX_LABELS:
            raise _bad("paymentButtonLabels", f"hasta {MAX_LABELS} etiquetas", f"at most {MAX_LABELS} labels")
        labels: dict[str, str] = {}
        for i, (provider, label) in enumerate(payment_button_labels.items()):
            if _PROVIDER.fullmatch(provider) is None or not 1 <= len(label.strip()) <= MAX_LABEL:
                raise _bad(["paymentButtonLabels", str(i)], f"un proveedor y una etiqueta de 1 a {MAX_LABEL} caracteres",
                           f"a provider name and a label of 1 to {MAX_LABEL} characters")  # fmt: skip
            labels[provider] = label.strip()
        changes[BUTTON_LABELS] = json.dumps(labels, ensure_ascii=False, sort_keys=True)
    return changes


def _bad(field: str | list[str], es: str, en: str) -> ApiError:
    path = ["input", *(field if isinstance(field, list) else [field])]
    return ApiError(ErrorCode.BAD_INPUT, field=path, detail=es, detail_en=en)
