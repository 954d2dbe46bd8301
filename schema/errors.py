"""Errors as the API shows them: codes, and the UserError of mutation payloads."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Stable machine-readable error codes; messages may change, codes do not.")
class ErrorCode(Enum):
    INVALID_CREDENTIALS = strawberry.enum_value("INVALID_CREDENTIALS", description="Wrong login or password.")
    UNAUTHENTICATED = strawberry.enum_value("UNAUTHENTICATED", description="Sign in first, or the token expired.")
    FORBIDDEN = strawberry.enum_value("FORBIDDEN", description="The caller may not do this.")
    LINK_EXPIRED = strawberry.enum_value(
        "LINK_EXPIRED", description="A download link expired or was altered; ask the API for a new one."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="No such object, or it belongs to another customer."
    )
    FEATURE_DISABLED = strawberry.enum_value("FEATURE_DISABLED", description="The business switched this off.")
    LIMIT_REACHED = strawberry.enum_value("LIMIT_REACHED", description="A configured limit was reached.")
    BAD_INPUT = strawberry.enum_value("BAD_INPUT", description="An argument is malformed or out of range.")
    PASSWORD_CHANGE_REQUIRED = strawberry.enum_value(
        "PASSWORD_CHANGE_REQUIRED", description="A temporary password must be changed first."
    )
    TOO_MANY_ATTEMPTS = strawberry.enum_value("TOO_MANY_ATTEMPTS", description="Wait before trying again.")
    SOURCE_UNAVAILABLE = strawberry.enum_value(
        "SOURCE_UNAVAILABLE", description="The billing system behind the gateway is not answering."
    )
    STORE_UNAVAILABLE = strawberry.enum_value(
        "STORE_UNAVAILABLE",
        description="The gateway's own store (sessions, sign-in counters) is not answering: try again in a few seconds.",
    )
    INTERNAL_ERROR = strawberry.enum_value("INTERNAL_ERROR", description="An unexpected error; it was logged.")
    PLACEHOLDER_TAX_ID = strawberry.enum_value(
        "PLACEHOLDER_TAX_ID",
        description="The login is a blank or placeholder tax id (9999999, all zeros): it never signs anyone in.",
    )
    FORMER_CUSTOMER = strawberry.enum_value(
        "FORMER_CUSTOMER", description="Every account of this user was closed and former customers have no access."
    )
    ACCESS_REVOKED = strawberry.enum_value(
        "ACCESS_REVOKED", description="The business revoked this user's portal access."
    )
    INVALID_RESET_LINK = strawberry.enum_value(
        "INVALID_RESET_LINK", description="The password-reset link expired, was used already or never existed."
    )
    INVALID_CONFIRMATION_LINK = strawberry.enum_value(
        "INVALID_CONFIRMATION_LINK",
        description="The link confirming a new sign-in e-mail expired, was used already or never existed.",
    )
    INVALID_CODE = strawberry.enum_value(
        "INVALID_CODE", description="The sign-in code is wrong, expired or spent by too many wrong tries."
    )
    SESSION_ENDED = strawberry.enum_value(
        "SESSION_ENDED", description="The refresh token is unknown, expired, revoked or was already used."
    )
    WEAK_PASSWORD = strawberry.enum_value(
        "WEAK_PASSWORD", description="The new password is too short or equal to the current one."
    )
    INVALID_FILE = strawberry.enum_value(
        "INVALID_FILE",
        description="An uploaded file is empty, damaged, of a type not accepted, or not what its name or type says.",
    )
    FILE_TOO_LARGE = strawberry.enum_value(
        "FILE_TOO_LARGE", description="An uploaded file has more bytes, or an image more pixels, than allowed."
    )
    IDEMPOTENCY_KEY_REUSED = strawberry.enum_value(
        "IDEMPOTENCY_KEY_REUSED",
        description="This idempotencyKey was used before with another input: a new request needs a new key.",
    )
    COOL_DOWN = strawberry.enum_value(
        "COOL_DOWN", description="The action was done recently; the message says from when it is available again."
    )
    ALREADY_DECIDED = strawberry.enum_value(
        "ALREADY_DECIDED",
        description="A payment receipt or a quote was already accepted or rejected (maybe by another call just now).",
    )
    NOTHING_OWED = strawberry.enum_value(
        "NOTHING_OWED", description="A payment commitment was asked for an account that owes nothing."
    )
    QUOTE_EXPIRED = strawberry.enum_value(
        "QUOTE_EXPIRED", description="The quote is past its last valid day (in the business's time zone) or expired."
    )
    ALREADY_SIGNED = strawberry.enum_value(
        "ALREADY_SIGNED", description="The contract is signed already: a signature is never repeated or changed."
    )
    READ_ONLY_FIELD = strawberry.enum_value(
        "READ_ONLY_FIELD",
        description="The change would alter data the business registered (read-only); the message names it.",
    )
    PAYMENT_AMOUNT_INVALID = strawberry.enum_value(
        "PAYMENT_AMOUNT_INVALID",
        description="The amount to pay is zero, negative, out of the business's bounds or above what is owed.",
    )
    NOTHING_TO_PAY = strawberry.enum_value("NOTHING_TO_PAY", description="The payment option's amount is zero.")
    PAYMENT_CURRENCY_MISMATCH = strawberry.enum_value(
        "PAYMENT_CURRENCY_MISMATCH",
        description="The provider does not take the invoices' currency, or the chosen invoices mix currencies.",
    )
    INVOICE_ALREADY_PAID = strawberry.enum_value(
        "INVOICE_ALREADY_PAID", description="An invoice chosen to pay is paid or void already."
    )
    PAYMENT_OPTION_UNAVAILABLE = strawberry.enum_value(
        "PAYMENT_OPTION_UNAVAILABLE", description="The payment provider does not offer that option."
    )
    PAYMENT_PROVIDER_UNKNOWN = strawberry.enum_value(
        "PAYMENT_PROVIDER_UNKNOWN", description="No payment provider of that name is configured."
    )
    PAYMENT_PROVIDER_UNAVAILABLE = strawberry.enum_value(
        "PAYMENT_PROVIDER_UNAVAILABLE",
        description="The payment provider did not answer: nothing was started, try again later (retryable).",
    )
    RETURN_URL_NOT_ALLOWED = strawberry.enum_value(
        "RETURN_URL_NOT_ALLOWED", description="returnUrl is neither under the portal URL nor a registered partner origin."
    )


@strawberry.type(description="An expected failure of a mutation, e.g. a wrong password.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path of the input field at fault, if one is.")
    code: ErrorCode = strawberry.field(description="Stable code of the error.")
    message: str = strawberry.field(description="Message for the user, in the caller's language.")
