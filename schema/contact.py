"""updateContactInfo (FEATURES.md E1-E2): the e-mails and phones a customer adds beside the business's.

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
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: a repeated request with it answers the first answer."
    )


@strawberry.type(description="Result of updateContactInfo.")
class UpdateContactInfoPayload:
    customer: Customer | None = strawberry.field(
        description="The customer, whose emails and phones show the change; null when nothing changed."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed; empty on success.")


async def update_contact_info(
    info: Info, input: Annotated[UpdateContactInfoInput, strawberry.argument(description="The lists.")]
) -> UpdateContactInfoPayload:
    ctx = info.context
    try:
        customer_id = None if input.customer_id is None else from_global_id(input.customer_id, "Customer")[1]
        customer = await write.update_contact_info(
            ctx, customer_id, input.emails, input.phones, input.idempotency_key
        )
    except ApiError as error:
        return UpdateContactInfoPayload(customer=None, errors=[user_error(error, ctx.language)])
    return UpdateContactInfoPayload(customer=customer_type(customer), errors=[])
