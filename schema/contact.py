"""updateContactInfo (FEATURES.md E1-E2): the e-mails and phones a customer adds beside the business's;
a new sign-in e-mail, confirmed by a link sent to it (`signInEmail`, then confirmEmail).

Who may call it is the field's (schema/root.py: customers, partners with customers:write); the
rest is resolvers/contact.py's, answered as `errors` of the payload.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from ..errors import ApiError
from ..resolvers import contact as write
from .access import user_error
from .customer import Customer, customer_type
from .errors import UserError
from .relay import from_global_id


@strawberry.input(
    description="The e-mails and phones the customer wants: the business's (read-only) and the ones added "
    "in the portal. A list given replaces the added ones of its kind; a list left out changes nothing."
)
class UpdateContactInfoInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the account; default: the caller's default account "
        "(partners name it always).",
    )  # fmt: skip
    emails: list[str] | None = strawberry.field(
        default=None, description="Every e-mail the customer wants: it must keep each one the business "
        "registered (else READ_ONLY_FIELD); the rest are kept as added in the portal.",
    )  # fmt: skip
    phones: list[str] | None = strawberry.field(
        default=None, description="Every phone the customer wants, in any common notation (without a country "
        "code: the business's country); stored in E.164; each one the business registered must stay.",
    )  # fmt: skip
    sign_in_email: str | None = strawberry.field(
        default=None, description="A new e-mail to sign in with (customer users, for themselves): a link is "
        "e-mailed to it first, and the sign-in e-mail changes only when confirmEmail is called with its token "
        "(valid [access] reset_minutes, once). Until then the current one keeps working.",
    )  # fmt: skip
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: a repeated request with it answers the first answer."
    )


@strawberry.type(description="Result of updateContactInfo.")
class UpdateContactInfoPayload:
    customer: Customer | None = strawberry.field(
        description="The customer, whose emails and phones show the change; null when nothing changed."
    )
    sign_in_email_pending: str | None = strawberry.field(
        default=None, description="The address a confirmation link was sent to (signInEmail); null when none was asked."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed; empty on success.")


@strawberry.input(description="Confirm a new sign-in e-mail with the token of the link sent to it.")
class ConfirmEmailInput:
    token: str = strawberry.field(description="The `token` parameter of the e-mailed link.")


@strawberry.type(description="Result of confirmEmail.")
class ConfirmEmailPayload:
    login: str | None = strawberry.field(description="The e-mail the user signs in with from now on.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing changed (INVALID_CONFIRMATION_LINK: expired, used, replaced or not the caller's)."
    )


async def update_contact_info(
    info: Info, input: Annotated[UpdateContactInfoInput, strawberry.argument(description="The lists.")]
) -> UpdateContactInfoPayload:
    ctx = info.context
    try:
        customer_id = None if input.customer_id is None else from_global_id(input.customer_id, "Customer")[1]
        customer = await write.update_contact_info(
            ctx, customer_id, input.emails, input.phones, input.idempotency_key, input.sign_in_email
        )
    except ApiError as error:
        return UpdateContactInfoPayload(customer=None, errors=[user_error(error, ctx.language)])
    pending = None if input.sign_in_email is None else input.sign_in_email.strip().lower()
    return UpdateContactInfoPayload(customer=customer_type(customer), sign_in_email_pending=pending, errors=[])


async def confirm_email(
    info: Info, input: Annotated[ConfirmEmailInput, strawberry.argument(description="The link's token.")]
) -> ConfirmEmailPayload:
    ctx = info.context
    try:
        login = await write.confirm_email(ctx, input.token)
    except ApiError as error:
        return ConfirmEmailPayload(login=None, errors=[user_error(error, ctx.language)])
    return ConfirmEmailPayload(login=login, errors=[])
