"""Contracts, plans, contracted plans and promotions (FEATURES.md D1-D4)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from ..connectors import records
from ..resolvers import catalog as resolve
from ..resolvers import commerce as resolve_commerce
from ..resolvers import contracts as signing
from ..resolvers import links
from .common import Address, Money, address, maybe_money, money
from .enums import ContractStatus
from .relay import Node, to_global_id

if TYPE_CHECKING:
    from .commerce import Comment

CommentRef = Annotated["Comment", strawberry.lazy("ventanilla.schema.commerce")]


@strawberry.type(description="A contract of the customer with the business (FEATURES.md D1).")
class Contract(Node):
    number: str = strawberry.field(description="Contract number.")
    title: str = strawberry.field(description="Title, e.g. Contrato de servicio de Internet.")
    status: ContractStatus = strawberry.field(description="Pending signature, signed or void.")
    issued_at: datetime.datetime = strawberry.field(description="When the business issued it.")
    signed_at: datetime.datetime | None = strawberry.field(description="When the customer signed it.")
    valid_from: datetime.date | None = strawberry.field(description="Start of validity.")
    valid_to: datetime.date | None = strawberry.field(description="End of validity, if any.")
    pending_signature: bool = strawberry.field(
        description="True when the customer still has to sign it (the portal flags these).",
        metadata={"reads": ("status",)},
    )
    record: strawberry.Private[records.Contract]

    @strawberry.field(description="Link to download the contract as PDF; valid for a few minutes.")
    def pdf_url(self, info: Info) -> str:
        return links.file_url(info.context, "contract", self.record, "pdf")

    @strawberry.field(description="Comments on the contract, oldest first (D9).")
    async def comments(self, info: Info) -> list[CommentRef] | None:
        from .commerce import comment_type

        return [comment_type(c) for c in await resolve_commerce.comments(info.context, "Contract", self.record)]

    @strawberry.field(
        description="The evidence of its signature in the portal (signContract); null when it was not signed "
        "there, or the store is not answering.",
        metadata={"reads": ("id",)},
    )  # fmt: skip
    async def signature(self, info: Info) -> ContractSignature | None:
        found = await signing.signature_of(info.context, self.record)
        return None if found is None else contract_signature_type(found)

    @strawberry.field(
        description="Link to download the signed copy (the contract's pages, the drawn signature and the "
        "evidence page, with the business's PAdES digital signature); valid for a few minutes; null "
        "while it is not signed in the portal.",
        metadata={"reads": ("id",)},
    )  # fmt: skip
    async def signed_pdf_url(self, info: Info) -> str | None:
        found = await signing.signature_of(info.context, self.record)
        return None if found is None else links.file_url(info.context, "signed-contract", self.record, "pdf")


@strawberry.type(description="The evidence kept of a contract's signature (FEATURES.md D2).")
class ContractSignature:
    signer: str = strawberry.field(description="Who signed: the portal user's name.")
    signed_at: datetime.datetime = strawberry.field(description="When.")
    contract_sha256: str = strawberry.field(
        description="SHA-256 (hex) of the contract PDF the customer was shown when signing."
    )
    signature_sha256: str = strawberry.field(description="SHA-256 (hex) of the drawn signature image (PNG).")
    signed_pdf_sha256: str = strawberry.field(description="SHA-256 (hex) of the signed copy.")


def contract_signature_type(r: signing.Signature) -> ContractSignature:
    return ContractSignature(
        signer=r.signer, signed_at=r.signed_at, contract_sha256=r.contract_sha256,
        signature_sha256=r.signature_sha256, signed_pdf_sha256=r.signed_pdf_sha256,
    )  # fmt: skip


def contract_type(r: records.Contract) -> Contract:
    return Contract(
        id=to_global_id("Contract", r.id),
        number=r.number,
        title=r.title,
        status=ContractStatus(r.status.value),
        issued_at=r.issued_at,
        signed_at=r.signed_at,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        pending_signature=r.status is records.ContractStatus.PENDING_SIGNATURE,
        record=r,
    )


@strawberry.type(description="A service plan the business sells, e.g. an internet plan (D3, D4).")
class Plan(Node):
    code: str = strawberry.field(description="The plan's code in the billing system.")
    name: str = strawberry.field(description="Commercial name.")
    description: str | None = strawberry.field(description="What the plan includes.")
    download_mbps: int | None = strawberry.field(description="Download speed in Mbps, for internet plans.")
    upload_mbps: int | None = strawberry.field(description="Upload speed in Mbps, for internet plans.")
    price: Money = strawberry.field(description="Monthly price with taxes.")
    available_in_portal: bool = strawberry.field(
        description="True when customers may request it from the portal."
    )


def plan_type(r: records.Plan) -> Plan:
    return Plan(
        id=to_global_id("Plan", r.id),
        code=r.code,
        name=r.name,
        description=r.description,
        download_mbps=r.download_mbps,
        upload_mbps=r.upload_mbps,
        price=money(r.price, r.currency),
        available_in_portal=r.available_in_portal,
    )


@strawberry.type(description="A promotion applied to a contracted plan, with its validity.")
class Promotion:
    name: str = strawberry.field(description="Name of the promotion.")
    discount_percent: Decimal | None = strawberry.field(description="Discount in percent, if a discount.")
    fixed_price: Money | None = strawberry.field(description="Promotional monthly price, if a fixed price.")
    valid_from: datetime.date = strawberry.field(description="First day it applies.")
    valid_to: datetime.date | None = strawberry.field(description="Last day it applies; null if open-ended.")
    active: bool = strawberry.field(description="True when it applies today.")


def promotion_type(r: records.Promotion, today: datetime.date) -> Promotion:
    return Promotion(
        name=r.name,
        discount_percent=r.discount_percent,
        fixed_price=maybe_money(r.fixed_price, r.currency),
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        active=r.valid_from <= today and (r.valid_to is None or today <= r.valid_to),
    )


@strawberry.type(description="A plan the customer has contracted ('my plans', FEATURES.md D3).")
class PlanSubscription(Node):
    service_address: Address | None = strawberry.field(
        description="Where the service is installed; it may differ from the billing address.",
        resolver=lambda root: address(root.record.service_address),
    )  # converted when asked for: a narrowed record holds only what the document reads
    status: str = strawberry.field(description="ACTIVE, SUSPENDED or CANCELLED, as the ERP says.")
    price: Money = strawberry.field(description="Monthly price the customer pays for it.")
    started_on: datetime.date | None = strawberry.field(description="Date the service started.")
    record: strawberry.Private[records.PlanSubscription]

    @strawberry.field(description="The plan contracted.")
    async def plan(self, info: Info) -> Plan | None:
        return plan_type(await resolve.plan(info.context, self.record))

    @strawberry.field(description="Promotions applied to it, current and past.")
    async def promotions(self, info: Info) -> list[Promotion] | None:
        found = await resolve.promotions(info.context, self.record)
        return [promotion_type(p, info.context.today) for p in found]


def subscription_type(r: records.PlanSubscription) -> PlanSubscription:
    return PlanSubscription(
        id=to_global_id("PlanSubscription", r.id),
        status=r.status,
        price=money(r.price, r.currency),
        started_on=r.started_on,
        record=r,
    )
