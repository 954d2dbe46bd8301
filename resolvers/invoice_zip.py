"""The invoices a customer chose to download as one ZIP (B5): all of them the caller's, or none.

`Customer.invoicesZipUrl` asks for the link, `/files/invoices/{customer}.zip` serves it
(web/downloads.py); both check the whole choice here before anything is signed or sent, so a
foreign or unknown id refuses the request instead of leaving a file out of the archive.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..auth.ownership import authorize, may_see
from ..connectors.records import Customer, Invoice
from ..errors import ApiError, ErrorCode
from ..rules.features import require_feature
from ..settings import Feature
from . import links
from .context import Context


async def chosen_invoices(ctx: Context, customer: Customer, invoice_ids: Sequence[str]) -> list[Invoice]:
    """The invoices of `invoice_ids` (raw ids; a repeated one counts once), in the order given.

    BAD_INPUT for none, LIMIT_REACHED past `[files] max_zip_invoices`, and BAD_INPUT naming the
    position in `invoiceIds` of the first id that is missing, another customer's or of another
    of the caller's accounts, all alike (this customer's invoices only: one ZIP is one account's).
    """
    authorize(ctx.principal, customer)
    ids = list(dict.fromkeys(invoice_ids))
    if not ids:
        raise ApiError(
            ErrorCode.BAD_INPUT, field=["invoiceIds"], detail="invoiceIds (al menos una factura)",
            detail_en="invoiceIds (at least one invoice)",
        )  # fmt: skip
    limit = ctx.settings.max_zip_invoices
    if len(ids) > limit:
        raise ApiError(
            ErrorCode.LIMIT_REACHED, field=["invoiceIds"], detail=f"hasta {limit} facturas por archivo ZIP",
            detail_en=f"up to {limit} invoices per ZIP file",
        )  # fmt: skip
    found = await ctx.loaders.invoice_by_id.load_many(ids)
    for raw_id, invoice in zip(ids, found, strict=True):
        if invoice is None or invoice.customer_id != customer.id or not may_see(ctx.principal, invoice):
            position = list(invoice_ids).index(raw_id)
            raise ApiError(
                ErrorCode.BAD_INPUT, field=["invoiceIds", str(position)],
                detail=f"invoiceIds[{position}] no es una factura de esta cuenta",
                detail_en=f"invoiceIds[{position}] is not an invoice of this account",
            )  # fmt: skip
    return found


async def zip_url(ctx: Context, customer: Customer, invoice_ids: Sequence[str]) -> str:
    """The signed link to the ZIP of the chosen invoices, once the whole choice is the caller's."""
    await require_feature(ctx, Feature.INVOICE_DOWNLOAD)
    chosen = await chosen_invoices(ctx, customer, invoice_ids)
    return links.invoices_zip_url(ctx, customer, [i.id for i in chosen])
