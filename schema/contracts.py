"""signContract (FEATURES.md D2): the customer's consent and drawn signature on a contract of theirs.

Who may call it is the field's (schema/root.py: customers, partners with contracts:write); the
rest (the contract's owner, the consent, the signature image, the switch, a second signature) is
resolvers/contracts.py's, answered as `errors` of the payload.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from ..errors import ApiError
from ..resolvers import contracts as write
from ..rules.uploads import Upload as UploadedFile
from .access import user_error
from .catalog import Contract, contract_type
from .errors import UserError
from .relay import from_global_id


@strawberry.input(description="A signature on a contract: the consent and the signature drawn by the customer.")
class SignContractInput:
    contract_id: strawberry.ID = strawberry.field(description="Global id of the contract (pending signature).")
    consent: bool = strawberry.field(
        description="The customer ticked «I read the contract and accept its terms»: must be true."
    )
    signature: Upload = strawberry.field(
        description="The drawn signature as a PNG image (multipart request): it must decode, be at most 1 MiB "
        "and 4 megapixels, and not be blank.",
    )  # fmt: skip
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: sending the same request again with it answers "
        "the first answer and signs nothing more (24 h).",
    )  # fmt: skip


@strawberry.type(description="Result of signContract.")
class SignContractPayload:
    contract: Contract | None = strawberry.field(
        description="The contract, now SIGNED, with its signature evidence and signed copy; null when it was not signed."
    )
    errors: list[UserError] = strawberry.field(description="Why it was not signed; empty on success.")


async def sign_contract(
    info: Info, input: Annotated[SignContractInput, strawberry.argument(description="The signature.")]
) -> SignContractPayload:
    ctx = info.context
    try:
        _, contract_id = from_global_id(input.contract_id, "Contract")
        part: Any = input.signature  # a Starlette UploadFile of the multipart request
        signature = UploadedFile(part.filename or "firma.png", await part.read(), part.content_type)
        signed = await write.sign_contract(ctx, contract_id, input.consent, signature, input.idempotency_key)
    except ApiError as error:
        return SignContractPayload(contract=None, errors=[user_error(error, ctx.language)])
    return SignContractPayload(contract=contract_type(signed), errors=[])
