"""The business's access administration: grant and revoke portal access, read the audit log and the access emails (admins)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from ..errors import ApiError
from ..resolvers import admin as resolve
from ..resolvers import branding as resolve_branding
from ..rules.uploads import Upload as UploadedFile
from .access import user_error
from .errors import UserError
from .portal import PortalInfo, portal_of
from .relay import from_global_id, to_global_id


@strawberry.input(description="Give a customer account a portal user (admins).")
class GrantPortalAccessInput:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer account.")
    login: str | None = strawberry.field(
        default=None, description="The user's email; default: the account's primary email. An existing user gains the account."
    )
    send_email: bool | None = strawberry.field(
        default=True, description="Email the portal URL and user (and the password, if the business chose so)."
    )


@strawberry.input(description="Take portal access away from a customer account (admins).")
class RevokePortalAccessInput:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer account.")


@strawberry.type(description="Result of grantPortalAccess.")
class GrantPortalAccessPayload:
    login: str | None = strawberry.field(description="The user's login (email).")
    created: bool | None = strawberry.field(description="True when a new user was created.")
    temporary_password: str | None = strawberry.field(
        description="A generated temporary password to hand over (shown once); null when the user kept theirs."
    )
    emailed: bool | None = strawberry.field(
        description="True when the access email was queued; it goes out at once, or is retried (see outgoingEmails)."
    )
    errors: list[UserError] = strawberry.field(description="Why granting failed; empty on success.")


@strawberry.type(description="Result of revokePortalAccess: effective on the next request of any open session.")
class RevokePortalAccessPayload:
    users_affected: int | None = strawberry.field(description="Users that lost the account.")
    errors: list[UserError] = strawberry.field(description="Why revoking failed; empty on success.")


@strawberry.type(
    description="One audited event (access, or a portal action and its refusals); never holds a password, token, "
    "code or file."
)
class AuditEntry:
    at: datetime = strawberry.field(description="When it happened.")
    event: str = strawberry.field(
        description="Access: SIGN_IN, REFRESH, SIGN_OUT, RESET_REQUESTED, PASSWORD_RESET, PASSWORD_CHANGED, "
        "CODE_REQUESTED, CODE_SIGN_IN, ACCESS_GRANTED, ACCESS_REVOKED, PARTNER_TOKEN, STAFF_ADDED, USER_DISABLED, "
        "PARTNER_ADDED, EMAIL_FAILED (an access email given up: see outgoingEmails). Portal actions (the mutation's "
        "name): CREATE_TICKET, REPLY_TO_TICKET, CLOSE_TICKET, SUBMIT_PAYMENT_RECEIPT, REQUEST_PAYMENT_COMMITMENT, "
        "REQUEST_PLAN_CHANGE, REQUEST_PLAN, ACCEPT_PAYMENT_RECEIPT, REJECT_PAYMENT_RECEIPT; administration: "
        "SET_FEATURE, UPDATE_PORTAL_BRANDING, EVENT_RESENT; customers: CONFIRM_EMAIL (a new sign-in e-mail); EVENT_DEAD (an event's delivery given up: see eventDeliveries)."
    )
    outcome: str = strawberry.field(
        description="OK; QUEUED for a reset link or code whose email is queued; REPEATED for a portal action sent "
        "again with its idempotency key (answered the first answer, nothing done); or the error code of the refusal "
        "(FEATURE_DISABLED, LIMIT_REACHED, COOL_DOWN, NOT_FOUND, IDEMPOTENCY_KEY_REUSED, INVALID_FILE ...) / reason "
        "of the failure (for EMAIL_FAILED: GAVE_UP, REFUSED or EXPIRED)."
    )
    login: str | None = strawberry.field(description="The login it concerned, as typed.")
    user_id: int | None = strawberry.field(description="The user it concerned, when known.")
    actor: str | None = strawberry.field(
        description="Who acted when not the user: an admin, the CLI, a partner; for portal actions always "
        "(customer:<user id>, partner:<client id>, staff:<user id>)."
    )
    ip: str | None = strawberry.field(description="Client address of the request.")
    detail: str | None = strawberry.field(description="Extra facts, e.g. the customer account, or on/off for SET_FEATURE.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="Global id of the Customer a portal action was on behalf of, when known."
    )
    object_id: str | None = strawberry.field(
        description="What a portal action acted on, in the system's own id (a ticket, a receipt, an event, a feature)."
    )


async def grant_portal_access(
    info: Info, input: Annotated[GrantPortalAccessInput, strawberry.argument(description="Account and login.")]
) -> GrantPortalAccessPayload:
    ctx = info.context
    try:
        _, customer_id = from_global_id(input.customer_id, "Customer")
        granted = await resolve.grant_portal_access(ctx, customer_id, input.login, input.send_email is not False)
    except ApiError as error:  # who may call it is the field's (schema/permissions.py): this is the input's
        return GrantPortalAccessPayload(login=None, created=None, temporary_password=None, emailed=None,
                                        errors=[user_error(error, ctx.language)])  # fmt: skip
    return GrantPortalAccessPayload(
        login=granted.login, created=granted.created, temporary_password=granted.temporary_password,
        emailed=granted.emailed, errors=[],
    )  # fmt: skip


async def revoke_portal_access(
    info: Info, input: Annotated[RevokePortalAccessInput, strawberry.argument(description="The account.")]
) -> RevokePortalAccessPayload:
    ctx = info.context
    try:
        _, customer_id = from_global_id(input.customer_id, "Customer")
        affected = await resolve.revoke_portal_access(ctx, customer_id)
    except ApiError as error:
        return RevokePortalAccessPayload(users_affected=None, errors=[user_error(error, ctx.language)])
    return RevokePortalAccessPayload(users_affected=affected, errors=[])


async def audit_log(
    info: Info,
    first: Annotated[int, strawberry.argument(description="How many, newest first (up to the page limit).")] = 50,
    login: Annotated[str | None, strawberry.argument(description="Only events about this login.")] = None,
    event: Annotated[str | None, strawberry.argument(description="Only this kind of event.")] = None,
    customer_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only events on behalf of this customer (its global id).")
    ] = None,
) -> list[AuditEntry] | None:
    raw_customer = from_global_id(customer_id, "Customer")[1] if customer_id is not None else None
    entries = await resolve.audit_log(info.context, first, login, event, raw_customer)
    return [AuditEntry(at=e.at, event=e.event, outcome=e.outcome, login=e.login, user_id=e.user_id, actor=e.actor,
                       ip=e.ip, detail=e.detail, object_id=e.object_id,
                       customer_id=to_global_id("Customer", e.customer_id) if e.customer_id else None)
            for e in entries]  # fmt: skip



@strawberry.enum(description="What an access email is for.")
class EmailKind(Enum):
    ACCESS = strawberry.enum_value("access", description="Portal access granted: the portal and the user.")
    PASSWORD_RESET = strawberry.enum_value("reset", description="A link to set a new password.")
    SIGN_IN_CODE = strawberry.enum_value("code", description="A 6-digit sign-in code.")
    EMAIL_CONFIRMATION = strawberry.enum_value(
        "confirm_email", description="A link confirming a customer's new sign-in email, sent to it (E1)."
    )
    EMAIL_CHANGED = strawberry.enum_value(
        "email_changed", description="The notice to a former sign-in email that the login changed (E1)."
    )


@strawberry.enum(description="Where an access email stands.")
class EmailStatus(Enum):
    QUEUED = strawberry.enum_value("QUEUED", description="Waiting to be sent, or to be tried again after a failure.")
    SENT = strawberry.enum_value("SENT", description="Accepted by the mail server.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Given up: every attempt failed, the server refused the address, or it expired first."
    )


@strawberry.type(description="An access email the portal queued; never its subject or text, which hold secrets.")
class OutgoingEmail:
    recipient: str = strawberry.field(description="The address it is for.")
    kind: EmailKind = strawberry.field(description="What it is for.")
    status: EmailStatus = strawberry.field(description="Queued, sent or failed.")
    attempts: int = strawberry.field(description="Delivery attempts so far.")
    queued_at: datetime = strawberry.field(description="When it was queued (with the link, code or user it tells of).")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next; null once sent or failed.")
    sent_at: datetime | None = strawberry.field(description="When the mail server accepted it.")
    failed_at: datetime | None = strawberry.field(description="When it was given up.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed, in the mail server's words.")


async def outgoing_emails(
    info: Info,
    first: Annotated[int, strawberry.argument(description="How many, newest first (up to the page limit).")] = 50,
    status: Annotated[EmailStatus | None, strawberry.argument(description="Only emails in this state.")] = None,
) -> list[OutgoingEmail] | None:
    entries = await resolve.outgoing_emails(info.context, first, status.name if status else None)
    return [OutgoingEmail(recipient=e.recipient, kind=EmailKind(e.template), status=EmailStatus[e.status],
                          attempts=e.attempts, queued_at=e.created_at, next_attempt_at=e.next_attempt_at,
                          sent_at=e.sent_at, failed_at=e.failed_at, last_error=e.last_error)
            for e in entries]  # fmt: skip



# --- branding (FEATURES.md F2-F3): updatePortalBranding (admins) ---


@strawberry.input(description="The label of one payment provider's button.")
class PaymentButtonLabelInput:
    provider: str = strawberry.field(description="The provider's name, as [payments.providers] names it (mercadopago).")
    label: str = strawberry.field(description="What its button says (1 to 60 characters).")


@strawberry.input(
    description="Change the portal's branding for every customer, on every instance at once (admins). A field "
    "left out (null) is left as it is; an empty hint or title clears it."
)
class UpdatePortalBrandingInput:
    name: str | None = strawberry.field(default=None, description="Name of the portal (1 to 80 characters).")
    logo: Upload | None = strawberry.field(
        default=None, description="A new logo (multipart request): a JPEG, PNG or WebP image, checked like any "
        "upload ([files] max_bytes, max_pixels), served publicly at PortalInfo.logoUrl."
    )  # fmt: skip
    remove_logo: bool | None = strawberry.field(
        default=None, description="True: drop the uploaded logo (the configured [portal] logo_url shows again)."
    )
    primary_color: str | None = strawberry.field(default=None, description='Main colour, "#rrggbb".')
    login_hint: str | None = strawberry.field(default=None, description="Hint under the user field; empty clears it.")
    password_hint: str | None = strawberry.field(
        default=None, description="Hint under the password field; empty clears it."
    )
    payment_buttons_title: str | None = strawberry.field(
        default=None, description="Title beside the payment buttons; empty clears it."
    )
    payment_button_labels: list[PaymentButtonLabelInput] | None = strawberry.field(
        default=None, description="Every custom payment button label (the whole list: one left out is removed)."
    )
    portal_url: str | None = strawberry.field(
        default=None, description="The portal's address handed to customers and linked from e-mails (http or https)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Sending the same key again (24 h) answers the first answer and changes nothing more."
    )


@strawberry.type(description="Result of updatePortalBranding: in force on every instance from its next request.")
class UpdatePortalBrandingPayload:
    portal: PortalInfo | None = strawberry.field(description="The portal's public facts after the change.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")


async def update_portal_branding(
    info: Info,
    input: Annotated[UpdatePortalBrandingInput, strawberry.argument(description="What to change.")],
) -> UpdatePortalBrandingPayload:
    ctx = info.context
    try:
        logo = None
        if input.logo is not None:
            part: Any = input.logo  # a Starlette UploadFile of the multipart request
            logo = UploadedFile(part.filename or "logo", await part.read(), part.content_type)
        labels = None
        if input.payment_button_labels is not None:
            labels = {entry.provider: entry.label for entry in input.payment_button_labels}
        await resolve_branding.update_portal_branding(
            ctx, name=input.name, primary_color=input.primary_color, login_hint=input.login_hint,
            password_hint=input.password_hint, payment_buttons_title=input.payment_buttons_title,
            payment_button_labels=labels, portal_url=input.portal_url, logo=logo,
            remove_logo=bool(input.remove_logo), idempotency_key=input.idempotency_key,
        )  # fmt: skip
    except ApiError as error:  # who may call it is the field's (Admin): this is the input's
        return UpdatePortalBrandingPayload(portal=None, errors=[user_error(error, ctx.language)])
    return UpdatePortalBrandingPayload(portal=await portal_of(info), errors=[])
