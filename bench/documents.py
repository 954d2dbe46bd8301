"""`python -m bench.documents`: how long the documents customers download take to make, and the memory
they need at their peak (bench/README.md, "Documents").

Cases, each in a fresh Python process of its own so one's memory does not hide in another's:
  statement-pdf   the account statement of a customer with 10,000 open items, as a PDF
  statement-xlsx  the same statement as an XLSX
  invoices-zip    a ZIP of 500 invoices (each with 1 to 6 lines, a CAE and so its fiscal QR), made
                  by the very stream the download sends (web/archive.py), read chunk by chunk and
                  dropped the way a socket would take it

For each case: wall time, the output's size, the peak of Python allocations (tracemalloc, in a
second run of its own: tracing slows the work down) and the process's maximum resident set size
(ru_maxrss, of the untraced run, the interpreter and the imports included: see `baseline`).
No database: the records are made up, the rendering is the product's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

CASES = ("baseline", "statement-pdf", "statement-xlsx", "invoices-zip")
TODAY = date(2026, 11, 1)


def _customer():
    from ventanilla.connectors.records import Address, Customer, CustomerStatus, TaxId

    address = Address(
        street="Calle 5 224", city="General Pico", province="La Pampa", postal_code="6360", country="AR"
    )
    return Customer(
        id="1", code="003365", name="Distribuidora La Pampeana S.A.", tax_id=TaxId("CUIT", "30608660247"),
        status=CustomerStatus.ACTIVE, company_id="1", billing_address=address, currency="ARS",
        credit_limit=Decimal("5000000.00"), tax_condition="Responsable Inscripto",
    )  # fmt: skip


def _company():
    from ventanilla.connectors.records import Company, TaxId

    return Company(id="1", code="01", name="Servicios del Sur S.A.", tax_id=TaxId("CUIT", "30712345674"),
                   currency="ARS", country="AR")  # fmt: skip


def _statement(items: int):
    from ventanilla.connectors.records import LedgerEntryKind, OpenItem
    from ventanilla.rules.billing import statement

    rng = random.Random(7)
    open_items = []
    for n in range(items):
        posted = TODAY - timedelta(days=rng.randint(0, 720))
        amount = Decimal(rng.randint(1_000, 500_000)) / 100
        kind = LedgerEntryKind.INVOICE if n % 9 else LedgerEntryKind.PAYMENT
        signed = amount if kind is LedgerEntryKind.INVOICE else -amount
        open_items.append(OpenItem(
            id=f"{kind.value}:{n}", customer_id="1", company_id="1", kind=kind, document_id=str(n),
            document_number=f"B 0003-{n + 1:08d}", posted_on=posted, due_date=posted + timedelta(days=10),
            original_amount=signed, open_amount=signed, currency="ARS",
        ))  # fmt: skip
    return statement(open_items, TODAY, "ARS", Decimal("5000000.00"))


def _invoices(count: int):
    from ventanilla.connectors.records import Invoice, InvoiceKind, InvoiceLine, PaymentCode

    rng = random.Random(7)
    made = []
    for n in range(count):
        issued = TODAY - timedelta(days=n)
        lines = []
        for position in range(1, rng.randint(1, 6) + 1):
            subtotal = Decimal(rng.randint(1_000, 90_000)) / 100
            tax = (subtotal * Decimal("0.21")).quantize(Decimal("0.01"))
            lines.append(InvoiceLine(
                id=f"{n}-{position}", invoice_id=str(n), position=position, description=f"Servicio {position}",
                quantity=Decimal(1), unit_price=subtotal, tax_rate=Decimal("21.00"), subtotal=subtotal, tax=tax,
                total=subtotal + tax,
            ))  # fmt: skip
        subtotal, tax = sum(li.subtotal for li in lines), sum(li.tax for li in lines)
        barcode = f"{rng.randint(10**43, 10**44 - 1)}"
        invoice = Invoice(
            id=str(n), customer_id="1", company_id="1", number=f"B 0003-{n + 1:08d}", kind=InvoiceKind.INVOICE,
            issue_date=issued, due_date=issued + timedelta(days=10), currency="ARS", subtotal=subtotal, tax=tax,
            total=subtotal + tax, balance_due=subtotal + tax, void=False,
            payment_code=PaymentCode(f"{rng.randint(10**18, 10**19 - 1)}", barcode, ("Rapipago", "Pago Fácil")),
            cae=f"76{rng.randint(0, 10**12 - 1):012d}", cae_due_date=issued + timedelta(days=10),
        )  # fmt: skip
        made.append((invoice, lines))
    return made


async def _zip_bytes(count: int) -> int:
    from ventanilla.render.pdf import invoice_pdf
    from ventanilla.web.archive import Member, zip_stream

    customer, company = _customer(), _company()

    async def members():
        for invoice, lines in _invoices(count):
            draw = lambda i=invoice, li=lines: asyncio.to_thread(invoice_pdf, i, li, customer, company, TODAY)  # noqa: E731
            yield Member(f"factura-{invoice.number.replace(' ', '-')}.pdf", time_of(invoice.issue_date), draw)

    sent = 0
    async for chunk in zip_stream(members()):
        sent += len(chunk)  # what a socket would take; the chunk is dropped here
    return sent


def time_of(day: date):
    from datetime import datetime

    return datetime(day.year, day.month, day.day, 12)


def run_case(case: str, items: int, invoices: int) -> int:
    """Make the case's document once; returns its size in bytes."""
    if case == "baseline":
        import ventanilla.render.pdf  # noqa: F401  the imports every case pays for
        import ventanilla.render.xlsx  # noqa: F401
        import ventanilla.web.archive  # noqa: F401

        return 0
    if case in ("statement-pdf", "statement-xlsx"):
        from ventanilla.render.pdf import statement_pdf
        from ventanilla.render.xlsx import statement_xlsx

        render = statement_pdf if case == "statement-pdf" else statement_xlsx
        return len(render(_statement(items), _customer(), _company()))
    return asyncio.run(_zip_bytes(invoices))


def child(case: str, items: int, invoices: int, trace: bool) -> None:
    """One measurement in this process; prints its figures as one JSON line."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    size = run_case(case, items, invoices)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "bytes": size, "peak": peak, "rss": rss}))


def measure(case: str, items: int, invoices: int, trace: bool) -> dict:
    args = [sys.executable, "-m", "bench.documents", "--child", case, "--items", str(items),
            "--invoices", str(invoices)] + (["--trace"] if trace else [])  # fmt: skip
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value / 2**20:,.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.documents", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--items", type=int, default=10_000, help="open items of the statement (default 10,000)"
    )
    parser.add_argument("--invoices", type=int, default=500, help="invoices in the ZIP (default 500)")
    parser.add_argument(
        "--cases", default=",".join(CASES), help="comma-separated subset of " + ", ".join(CASES)
    )
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs (half the time)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.items, args.invoices, args.trace)
        return
    header = f"{'case':<16}{'seconds':>9}{'output':>13}{'peak (tracemalloc)':>21}{'max RSS':>13}"
    print(
        f"statement: {args.items:,} open items; ZIP: {args.invoices:,} invoices\n{header}\n{'-' * len(header)}"
    )
    for case in args.cases.split(","):
        plain = measure(case, args.items, args.invoices, trace=False)
        traced = (
            None if args.no_trace or case == "baseline" else measure(case, args.items, args.invoices, True)
        )
        print(f"{case:<16}{plain['seconds']:>9.2f}{mib(plain['bytes']):>13}"
              f"{mib(traced['peak'] if traced else None):>21}{mib(plain['rss']):>13}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
