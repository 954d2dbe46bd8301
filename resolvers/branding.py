"""The portal's branding (FEATURES.md F2-F3): `updatePortalBranding` (admins) and the logo's URL.

The admin's changes are checked (rules/branding.py; the logo as any uploaded image,
rules/uploads.py, JPEG, PNG or WebP only), the logo kept in the blob store, then stored through
`perform` (idempotency key, audit UPDATE_PORTAL_BRANDING, event PortalBrandingChanged naming
the keys that changed) in one transaction. Every instance serves the change from its next
request (`Context.branding()`); `portal` serves it to anonymous callers, and the access e-mails
use its name and portal URL (auth/mail.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from ..rules import branding as brand
from ..rules.uploads import JPEG, PNG, WEBP, Upload, UploadLimits
from ..store.branding import set_branding
from ..store.events import DomainEvent
from .actions import Action, Done, audited, perform
from .context import Context
from .links import _base as public_base
from .uploads import keep_uploads

LOGO_PATH = "/branding/logo/"  # web/branding.py serves the uploaded logo here, to anyone
IMAGES = frozenset({JPEG, PNG, WEBP})


@audited("updatePortalBranding")
async def update_portal_branding(
    ctx: Context, *, name: str | None = None, primary_color: str | None = None, login_hint: str | None = None,
    password_hint: str | None = None, payment_buttons_title: str | None = None,
    payment_button_labels: Mapping[str, str] | None = None, portal_url: str | None = None,
    logo: Upload | None = None, remove_logo: bool = False, idempotency_key: str | None = None,
) -> brand.Branding:  # fmt: skip
    """Store what the admin sent (None: left as it is); the branding in force afterwards. A
    refused input or logo changes nothing (BAD_INPUT, INVALID_FILE, FILE_TOO_LARGE)."""
    changes = brand.checked_changes(
        name=name, primary_color=primary_color, login_hint=login_hint, password_hint=password_hint,
        payment_buttons_title=payment_buttons_title, payment_button_labels=payment_button_labels,
        portal_url=portal_url,
    )  # fmt: skip
    if logo is not None:
        limits = UploadLimits.of(ctx.settings)
        limits = replace(limits, types=limits.types & IMAGES, per_request=1)
        (kept,) = await keep_uploads(ctx.services.blobs, limits, [logo], field="logo")
        changes[brand.LOGO], changes[brand.LOGO_TYPE] = kept.sha256, kept.content_type
    elif remove_logo:
        changes[brand.LOGO] = changes[brand.LOGO_TYPE] = None

    async def work(conn: AsyncConnection) -> Done:
        await set_branding(conn, changes, ctx.principal.actor)
        event = DomainEvent("PortalBrandingChanged", None, {"changed": sorted(changes), **_public(changes)})
        return Done(answer={"changed": sorted(changes)}, events=[event], object_id="branding")

    request = dict(sorted(changes.items()))
    await perform(ctx, Action("updatePortalBranding", None, request, idempotency_key, detail=",".join(sorted(changes))), work)  # fmt: skip
    ctx.forget_branding()  # this request may have read it before the change
    return await ctx.branding()


def _public(changes: Mapping[str, str | None]) -> dict[str, str | None]:
    """The new values as the event tells them (the logo by its URL path)."""
    told = {k: v for k, v in changes.items() if k not in (brand.LOGO, brand.LOGO_TYPE)}
    if brand.LOGO in changes:
        key = changes[brand.LOGO]
        told["logo"] = LOGO_PATH + key if key else None
    return told


def logo_url(ctx: Context, branding: brand.Branding) -> str | None:
    """The uploaded logo's public URL (on this API), else `[portal] logo_url`, else None."""
    if branding.logo_key:
        return public_base(ctx) + LOGO_PATH + branding.logo_key
    return branding.logo_url
