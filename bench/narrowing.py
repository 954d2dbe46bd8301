"""What marking unread attributes costs: 1,000 narrowed invoices built with and without `NotRead`."""

from __future__ import annotations

import timeit
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from ventanilla.connectors import builders
from ventanilla.connectors.narrowing import marking_unread
from ventanilla.connectors.records import Invoice
from ventanilla.schema.selection import always_read

# A row of the native invoices table as a page query answers it (amounts read as Decimal).
ROW = SimpleNamespace(
    id=1, customer_id=7, company_id=1, kind="INVOICE", letter="B", point_of_sale=3, number=12345,
    issue_date=date(2026, 10, 1), due_date=date(2026, 10, 15), currency="ARS", subtotal=Decimal("826.45"),
    tax=Decimal("173.55"), total=Decimal("1000.00"), paid_amount=Decimal("0"), void=False,
    payment_code=None, barcode=None, cae="74123456789012", cae_due_date=date(2026, 10, 11),
)  # fmt: skip
# What the dashboard's invoice list reads (bench workload W1): number, dates, total, status.
WANTED = {Invoice: always_read(Invoice) | {"number", "issue_date", "due_date", "total", "balance_due"}}


def main() -> None:
    rows = [ROW] * 1_000
    plain = builders.invoice
    marked = marking_unread(builders.invoice, Invoice, WANTED)
    builds = {"stand-ins only": plain, "NotRead marked": marked}
    best = dict.fromkeys(builds, float("inf"))
    for _ in range(30):  # interleaved, the best of each: a shared machine is noisy
        for label, build in builds.items():
            took = timeit.timeit(lambda build=build: [build(r) for r in rows], number=5) / 5
            best[label] = min(best[label], took)
    for label, seconds in best.items():
        print(f"{label:>15}: {seconds * 1e3:6.3f} ms per 1,000 invoices ({seconds * 1e6 / 1_000:.2f} µs each)")


if __name__ == "__main__":
    main()
