"""SAP CURR amounts in currencies of other than 2 decimals (TCURX): read as real amounts.

SAP keeps every CURR amount as if its currency had 2 decimals; TCURX lists the currencies that have
another number (CLP 0: 15000 CLP is stored as 150.00). A small SAP-shaped business on PostgreSQL,
one customer billed in CLP (a Chilean company code) and one in ARS (not in TCURX: 2 decimals), is
read through the sap mapping: invoices, lines, payments, totals, open items, ledger and statement
carry the real amounts, and the ARS ones are read as stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.records import InvoiceFilter, Page
from ventanilla.connectors.sql.mapping import load_connector
from ventanilla.connectors.sql.source import MappedSource
from ventanilla.demo.legacy.writer import sap_initial, write_tables
from ventanilla.rules.billing import statement

from .conftest import fresh_legacy_database

TODAY = date(2026, 6, 15)
ARS, CLP = "1", "2"  # canonical customer ids
D = Decimal


def _business() -> dict[str, list[dict[str, Any]]]:
    """Per customer: an invoice (issued 2026-06-01, due in 10 days) and a partial payment against it."""
    m = "100"
    rows: dict[str, list[dict[str, Any]]] = {
        "TCURX": [{"CURRKEY": "CLP", "CURRDEC": 0}, {"CURRKEY": "JPY", "CURRDEC": 0}],
        "T001": [
            {"MANDT": m, "BUKRS": "0001", "BUTXT": "Fibra Sur SA", "WAERS": "ARS", "LAND1": "AR"},
            {"MANDT": m, "BUKRS": "0002", "BUTXT": "Fibra Sur Chile SpA", "WAERS": "CLP", "LAND1": "CL"},
        ],
    }
    # customer, company, currency, invoice (NETWR, MWSBK), payment, credit limit: as stored (2 decimals)
    people = [
        (ARS, "0001", "ARS", D("1000.41"), D("210.09"), D("200.00"), D("150000.00")),
        (CLP, "0002", "CLP", D("123.97"), D("26.03"), D("50.00"), D("50000.00")),
    ]
    for customer, bukrs, waers, netwr, mwsbk, paid, limit in people:
        kunnr, vbeln, belnr = customer.zfill(10), f"009000000{customer}", f"140000000{customer}"
        xblnr, receipt = f"0003B0000000{customer}", f"0003-0000000{customer}"
        rows.setdefault("KNA1", []).append({"MANDT": m, "KUNNR": kunnr, "NAME1": f"Cliente {waers}",
                                            "SORTL": f"C{customer}", "LAND1": "AR", "ERDAT": "20260101"})  # fmt: skip
        rows.setdefault("KNB1", []).append({"MANDT": m, "KUNNR": kunnr, "BUKRS": bukrs})
        rows.setdefault("KNKK", []).append({"MANDT": m, "KUNNR": kunnr, "KKBER": "0001", "KLIMK": limit})
        rows.setdefault("VBRK", []).append({
            "MANDT": m, "VBELN": vbeln, "FKART": "F2", "VBTYP": "M", "FKDAT": "20260601", "WAERK": waers,
            "BUKRS": bukrs, "KUNAG": kunnr, "KUNRG": kunnr, "NETWR": netwr, "MWSBK": mwsbk, "XBLNR": xblnr,
            "ERDAT": "20260601",
        })  # fmt: skip
        rows.setdefault("VBRP", []).append({
            "MANDT": m, "VBELN": vbeln, "POSNR": "000010", "ARKTX": "Abono 300 Mbps", "FKIMG": D("1"),
            "VRKME": "UN", "NETPR": netwr, "NETWR": netwr, "MWSBP": mwsbk, "MWSKZ": "A1",
        })  # fmt: skip
        for doc, blart, day, ref in ((vbeln, "RV", "20260601", xblnr), (belnr, "DZ", "20260605", receipt)):
            rows.setdefault("BKPF", []).append({
                "MANDT": m, "BUKRS": bukrs, "BELNR": doc, "GJAHR": "2026", "BLART": blart, "BLDAT": day,
                "BUDAT": day, "XBLNR": ref, "WAERS": waers,
            })  # fmt: skip
        invoice_line = {"BELNR": vbeln, "SHKZG": "S", "DMBTR": netwr + mwsbk, "ZFBDT": "20260601", "ZBD1T": 10,
                        "VBELN": vbeln, "BUDAT": "20260601", "BLART": "RV", "BSCHL": "01", "XBLNR": xblnr}  # fmt: skip
        payment_line = {"BELNR": belnr, "SHKZG": "H", "DMBTR": paid, "ZFBDT": "20260605", "REBZG": vbeln,
                        "REBZJ": "2026", "REBZZ": "001", "BUDAT": "20260605", "BLART": "DZ", "BSCHL": "15",
                        "XBLNR": receipt, "ZLSCH": "T"}  # fmt: skip
        for line in (invoice_line, payment_line):
            item = {"MANDT": m, "BUKRS": bukrs, "KUNNR": kunnr, "GJAHR": "2026", "BUZEI": "001", "WAERS": waers,
                    "WRBTR": line["DMBTR"], **line}  # fmt: skip
            rows.setdefault("BSID", []).append(item)
            bseg = {k: v for k, v in item.items() if k not in ("BUDAT", "BLART", "BSCHL", "WAERS", "XBLNR")}
            rows.setdefault("BSEG", []).append(bseg | {"KOART": "D"})
    return rows


@pytest.fixture
async def source(tmp_path) -> AsyncIterator[MappedSource]:
    async with fresh_legacy_database("postgresql", tmp_path) as url:
        engine = create_async_engine(url)
        mapping = load_connector("sap")
        await write_tables(engine, mapping, _business(), fill=sap_initial)
        try:
            yield MappedSource(engine, mapping)
        finally:
            await engine.dispose()


async def test_invoices_lines_and_payments_in_a_0_decimal_currency_are_real(source: MappedSource) -> None:
    ars, clp = await source.invoices_by_id(["90000001", "90000002"])
    assert ars is not None and clp is not None
    assert (clp.currency, clp.subtotal, clp.tax, clp.total, clp.balance_due) == (
        "CLP",
        D(12397),
        D(2603),
        D(15000),
        D(10000),
    )
    assert (ars.currency, ars.subtotal, ars.tax, ars.total, ars.balance_due) == (
        "ARS",
        D("1000.41"),
        D("210.09"),
        D("1210.50"),
        D("1010.50"),
    )
    (ars_page, clp_page) = await source.invoices_of([ARS, CLP], InvoiceFilter(), Page(5), TODAY)
    assert [i.total for i in clp_page.items] == [D(15000)] and [i.total for i in ars_page.items] == [
        D("1210.50")
    ]
    (clp_lines,) = await source.lines_of(["90000002"])
    assert [(ln.unit_price, ln.subtotal, ln.tax, ln.total) for ln in clp_lines] == [
        (D(12397), D(12397), D(2603), D(15000))
    ]
    ars_payment, clp_payment = await source.payments_by_id(["1400000001", "1400000002"])
    assert clp_payment is not None and (clp_payment.amount, clp_payment.currency) == (D(5000), "CLP")
    assert clp_payment.invoice_ids == ("90000002",)
    assert ars_payment is not None and ars_payment.amount == D("200.00")


async def test_totals_open_items_ledger_and_statement_sum_real_amounts(source: MappedSource) -> None:
    ars, clp = await source.account_totals([ARS, CLP], TODAY)
    assert (clp.currency, clp.debits, clp.credits, clp.unpaid_total, clp.overdue, clp.credit_limit) == (
        "CLP",
        D(15000),
        D(5000),
        D(10000),
        D(10000),
        D(5_000_000),
    )
    assert (ars.currency, ars.debits, ars.credits, ars.unpaid_total, ars.overdue, ars.credit_limit) == (
        "ARS",
        D("1210.50"),
        D("200.00"),
        D("1010.50"),
        D("1010.50"),
        D("150000.00"),
    )
    customers = await source.customers_by_id([CLP])
    assert customers[0] is not None and customers[0].credit_limit == D(5_000_000)

    ars_items, clp_items = await source.open_items_of([ARS, CLP], TODAY, None)
    assert [(i.document_id, i.original_amount, i.open_amount, i.currency) for i in clp_items] == [
        ("90000002", D(15000), D(10000), "CLP")
    ]
    assert [(i.original_amount, i.open_amount) for i in ars_items] == [(D("1210.50"), D("1010.50"))]
    figures = statement(clp_items, TODAY, "CLP", D(5_000_000))
    assert (figures.overdue, figures.total, figures.available_credit) == (D(10000), D(10000), D(4_990_000))

    (ledger,) = await source.ledger_of([CLP], Page(10), None, None)
    assert sorted((e.kind.value, e.debit, e.credit) for e in ledger.items) == [
        ("INVOICE", D(15000), D(0)),
        ("PAYMENT", D(0), D(5000)),
    ]
    assert ledger.items[0].balance == D(-10000)
