"""Payment receipts over HTTP (FEATURES.md B10): submitted by customers, queued for the helpdesk, accepted
(a payment recorded on the native store, an event for a legacy ERP) or rejected with a reason."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from ventanilla.connectors.native.tables import payments, portal_tickets
from ventanilla.rules.billing import OwedDocument, allocate, oldest_first, receipt_amount_problem
from ventanilla.settings import Feature
from ventanilla.store.tables import audit_log, payment_receipts

from .portal_actions import codes, demo_portal, global_id, pdf, photo, raw_id, sap_portal

SUBMIT = """
mutation($customerId: ID, $amount: Decimal!, $file: Upload!, $invoiceIds: [ID!], $key: String) {
  submitPaymentReceipt(input: {customerId: $customerId, amount: $amount, file: $file, invoiceIds: $invoiceIds,
                               idempotencyKey: $key}) {
    receipt { id status amount { amount currency } file { filename contentType size sha256 }
              invoices { id number } createdAt }
    ticket { id number subject area category priority status messages { body fromCustomer attachments { filename contentType } } }
    errors { code field message }
  }
}
"""
ACCEPT = """
mutation($id: ID!, $invoiceIds: [ID!]) {
  acceptPaymentReceipt(input: {receiptId: $id, invoiceIds: $invoiceIds}) {
    receipt { id status decidedAt decidedBy payment { id number amount { amount } invoices { id } } }
    errors { code field message }
  }
}
"""
REJECT = """
mutation($id: ID!, $reason: String!) {
  rejectPaymentReceipt(input: {receiptId: $id, reason: $reason}) {
    receipt { id status reason } errors { code field message }
  }
}
"""
QUEUE = """
query($status: PaymentReceiptStatus) {
  paymentReceipts(status: $status, first: 100) {
    totalCount nodes { id status amount { amount } customer { id name } file { contentType } }
  }
}
"""
MINE = """
query($id: ID!) { customer(id: $id) { paymentReceipts {
  id status reason amount { amount } decidedBy ticket { status messages { body fromCustomer } } } } }
"""
ACCOUNT = """
query($id: ID!) { customer(id: $id) {
  account { unpaidTotal { amount currency } balance { amount } }
  invoices(first: 100, filter: {unpaidOnly: true}) {
    nodes { id number dueDate issueDate balanceDue { amount } status kind }
  }
} }
"""
VIEWER = "{ viewer { accounts { id } customer { id } } }"
RECEIPT_PDF = pdf()  # once: a PDF made again carries another creation time, so other bytes


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def portal(request, tmp_path_factory):
    async with demo_portal(request.param, tmp_path_factory.mktemp("receipts")) as served:
        yield served


async def home_account(portal) -> str:
    body = await portal.gql(VIEWER, token=portal.tokens["customer"])
    return body["data"]["viewer"]["customer"]["id"]


async def account(portal, customer_id: str, token: str | None = None) -> dict:
    body = await portal.gql(ACCOUNT, {"id": customer_id}, token or portal.tokens["customer"])
    assert "errors" not in body, body
    return body["data"]["customer"]


async def submit(portal, amount: str = "100.00", file=None, token: str | None = None, client=None, **variables):
    sent = file or ("comprobante.pdf", RECEIPT_PDF, "application/pdf")
    body = await portal.upload(SUBMIT, {"amount": amount, **variables}, {"file": sent},
                               token or portal.tokens["customer"], client)  # fmt: skip
    return body


async def someone_elses_unpaid_invoice(portal) -> tuple[str, str]:
    """(customer id, invoice id) of another customer's unpaid invoice."""
    mine = {a["id"] for a in (await portal.gql(VIEWER, token=portal.tokens["customer"]))["data"]["viewer"]["accounts"]}
    listing = await portal.gql("{ customers(first: 30) { nodes { id } } }", token=portal.tokens["agent"])
    for customer in listing["data"]["customers"]["nodes"]:
        if customer["id"] not in mine:
            unpaid = (await account(portal, customer["id"], portal.tokens["agent"]))["invoices"]["nodes"]
            if unpaid:
                return customer["id"], unpaid[0]["id"]
    raise AssertionError("no other customer owes anything")


async def receipt_rows(portal) -> int:
    async with portal.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(payment_receipts))).scalar_one()


def submitted(body: dict) -> dict:
    payload = body["data"]["submitPaymentReceipt"]
    assert payload["errors"] == [], payload
    return payload["receipt"]


def refused(body: dict, mutation: str = "submitPaymentReceipt") -> dict:
    payload = body["data"][mutation]
    assert payload["receipt"] is None and len(payload["errors"]) == 1, payload
    return payload["errors"][0]


# --- submitting -------------------------------------------------------------------------------------


async def test_a_receipt_for_an_own_invoice_enters_the_queue_and_tells_the_business(portal) -> None:
    # given the customer's account and one of its unpaid invoices
    customer_id = await home_account(portal)
    before = await account(portal, customer_id)
    invoice = before["invoices"]["nodes"][0]
    # when it sends a photo of the transfer for it
    body = await submit(portal, "150.50", ("transferencia.jpg", photo(), "image/jpeg"), invoiceIds=[invoice["id"]])
    receipt = submitted(body)
    # then the receipt is submitted, in the account's currency, with its file and invoice
    currency = before["account"]["unpaidTotal"]["currency"]
    assert receipt["status"] == "SUBMITTED" and receipt["amount"] == {"amount": "150.50", "currency": currency}
    assert receipt["file"]["contentType"] == "image/jpeg" and receipt["file"]["filename"] == "transferencia.jpg"
    assert [i["id"] for i in receipt["invoices"]] == [invoice["id"]]
    # and it opened a ticket with the receipt routing defaults, the file attached
    ticket = body["data"]["submitPaymentReceipt"]["ticket"]
    assert (ticket["area"], ticket["category"], ticket["status"]) == ("Administración", "Pagos", "OPEN")
    assert ticket["subject"] == f"Comprobante de pago 150.50 {currency}"
    (message,) = ticket["messages"]
    assert message["fromCustomer"] and invoice["number"] in message["body"]
    assert message["attachments"] == [{"filename": "transferencia.jpg", "contentType": "image/jpeg"}]
    # and the customer sees it among its own, the helpdesk in its queue
    mine = await portal.gql(MINE, {"id": customer_id}, portal.tokens["customer"])
    assert receipt["id"] in [r["id"] for r in mine["data"]["customer"]["paymentReceipts"]]
    queue = await portal.gql(QUEUE, {"status": "SUBMITTED"}, portal.tokens["agent"])
    queued = {r["id"]: r for r in queue["data"]["paymentReceipts"]["nodes"]}
    assert queued[receipt["id"]]["customer"]["id"] == customer_id
    assert queue["data"]["paymentReceipts"]["totalCount"] >= 1
    # and the outbox holds the event, with what the business needs to find the file
    (event,) = [e for e in await portal.events_of("PaymentReceiptSubmitted") if e["receiptId"] == raw_id(receipt["id"])]
    assert event["_customer"] == raw_id(customer_id) and event["ticketId"] == raw_id(ticket["id"])
    assert (event["amount"], event["currency"], event["invoiceIds"]) == ("150.50", currency, [raw_id(invoice["id"])])
    assert event["file"] == {"sha256": receipt["file"]["sha256"], "contentType": "image/jpeg",
                             "size": receipt["file"]["size"]}  # fmt: skip


async def test_a_receipt_for_the_second_account_names_it(portal) -> None:
    body = await portal.gql(VIEWER, token=portal.tokens["customer"])
    second = body["data"]["viewer"]["accounts"][1]["id"]
    receipt = submitted(await submit(portal, "10", customerId=second))
    assert receipt["amount"]["amount"] == "10.00"
    (event,) = [e for e in await portal.events_of("PaymentReceiptSubmitted") if e["receiptId"] == raw_id(receipt["id"])]
    assert event["amount"] == "10.00"
    mine = await portal.gql(MINE, {"id": second}, portal.tokens["customer"])
    assert [r["id"] for r in mine["data"]["customer"]["paymentReceipts"]] == [receipt["id"]]


async def test_a_repeated_key_answers_the_same_receipt_and_a_reused_one_is_refused(portal) -> None:
    # given a receipt sent with a key
    rows = await receipt_rows(portal)
    first = submitted(await submit(portal, "77.00", key="receipt-key-1"))
    # when the same request comes again (a retry after a lost answer)
    again = submitted(await submit(portal, "77.00", key="receipt-key-1"))
    # then it is the same receipt, and there is one more receipt only
    assert again == first and await receipt_rows(portal) == rows + 1
    # and the key with another amount is refused
    reused = refused(await submit(portal, "78.00", key="receipt-key-1"))
    assert reused["code"] == "IDEMPOTENCY_KEY_REUSED" and await receipt_rows(portal) == rows + 1


async def test_the_same_key_sent_five_times_at_once_makes_one_receipt(portal) -> None:
    rows = await receipt_rows(portal)
    answers = await asyncio.gather(*[submit(portal, "64.00", key="receipt-key-burst") for _ in range(5)])
    receipts = [submitted(a) for a in answers]
    assert len({r["id"] for r in receipts}) == 1 and await receipt_rows(portal) == rows + 1


@pytest.mark.parametrize(
    ("amount", "why"),
    [("0", "more than 0"), ("-5.00", "more than 0"), ("10.001", "2 decimals"), ("99999999999.00", "at most")],
)
async def test_an_amount_not_above_zero_or_absurd_is_bad_input(portal, amount: str, why: str) -> None:
    rows = await receipt_rows(portal)
    error = refused(await submit(portal, amount))
    assert error["code"] == "BAD_INPUT" and error["field"] == ["input", "amount"] and why in error["message"]
    assert await receipt_rows(portal) == rows


async def test_a_text_file_named_jpg_and_an_oversized_file_are_refused(portal) -> None:
    rows = await receipt_rows(portal)
    fake = refused(await submit(portal, file=("comprobante.jpg", b"Pagado el martes, CBU 123", "image/jpeg")))
    assert fake["code"] == "INVALID_FILE" and fake["field"][0] == "file"
    small = portal.client_for(max_file_bytes=2_000)
    async with small:
        token = await portal.sign_in(("cliente@example.com", "perro.calamar"), client=small)
        big = refused(await submit(portal, file=("comprobante.pdf", pdf("x" * 90) + b"\n" * 3000, "application/pdf"),
                                   token=token, client=small))  # fmt: skip
    assert big["code"] == "FILE_TOO_LARGE"
    assert await receipt_rows(portal) == rows


async def test_no_file_is_refused_before_anything_runs(portal) -> None:
    rows = await receipt_rows(portal)
    body = await portal.gql(SUBMIT, {"amount": "10.00", "file": None}, portal.tokens["customer"])
    assert body.get("errors") and body.get("data") is None
    assert await receipt_rows(portal) == rows


async def test_another_customers_invoice_is_not_found_and_a_paid_one_is_bad_input(portal) -> None:
    # given an unpaid invoice of a customer the demo user is not linked to
    other, theirs = await someone_elses_unpaid_invoice(portal)
    rows = await receipt_rows(portal)
    # then naming it answers exactly like a missing invoice
    error = refused(await submit(portal, invoiceIds=[theirs]))
    missing = refused(await submit(portal, invoiceIds=[global_id("Invoice", "999999")]))
    assert error["code"] == missing["code"] == "NOT_FOUND" and error["message"] == missing["message"]
    assert error["field"] == ["input", "invoiceIds", "0"]
    # and another customer's account is not found either
    assert refused(await submit(portal, customerId=other))["code"] == "NOT_FOUND"
    # and a paid invoice of its own has nothing left to pay
    body = await portal.gql("query($id: ID!) { customer(id: $id) { invoices(first: 100, filter: {status: PAID}) "
                            "{ nodes { id } } } }", {"id": await home_account(portal)}, portal.tokens["customer"])  # fmt: skip
    paid = body["data"]["customer"]["invoices"]["nodes"]
    if paid:
        assert refused(await submit(portal, invoiceIds=[paid[0]["id"]]))["code"] == "BAD_INPUT"
    assert await receipt_rows(portal) == rows
    # and every refusal is audited
    async with portal.engine.connect() as conn:
        outcomes = (await conn.execute(select(audit_log.c.outcome).where(audit_log.c.event == "SUBMIT_PAYMENT_RECEIPT"))).scalars().all()
    assert "NOT_FOUND" in outcomes and "OK" in outcomes


async def test_the_switch_off_refuses_and_keeps_nothing(portal) -> None:
    rows = await receipt_rows(portal)
    off = portal.client_for(features=[f for f in Feature if f is not Feature.PAYMENT_RECEIPTS])
    async with off:
        token = await portal.sign_in(("cliente@example.com", "perro.calamar"), client=off)
        error = refused(await submit(portal, token=token, client=off))
    assert error["code"] == "FEATURE_DISABLED"
    assert await receipt_rows(portal) == rows


async def test_an_analyst_and_a_partner_without_the_scope_may_not_submit(portal) -> None:
    customer_id = await home_account(portal)
    analyst = await submit(portal, token=portal.tokens["analyst"], customerId=customer_id)
    assert codes(analyst) == ["FORBIDDEN"] and analyst["data"] is None
    reader = await portal.partner(["customers:read", "billing:read", "support:read"])
    assert codes(await submit(portal, token=reader, customerId=customer_id)) == ["FORBIDDEN"]
    # a partner with billing:write submits for the account it names (and reads what it selects)
    writer = await portal.partner(["customers:read", "billing:read", "billing:write", "support:read"])
    receipt = submitted(await submit(portal, "12.00", token=writer, customerId=customer_id))
    assert receipt["status"] == "SUBMITTED"
    # and must name it
    assert refused(await submit(portal, token=writer))["code"] == "BAD_INPUT"


# --- deciding ---------------------------------------------------------------------------------------


async def test_accepting_records_the_payment_on_the_named_invoice_and_the_account_changes(portal) -> None:
    # given a receipt paying part of an unpaid invoice
    customer_id = await home_account(portal)
    before = await account(portal, customer_id)
    invoice = before["invoices"]["nodes"][-1]
    due = Decimal(invoice["balanceDue"]["amount"])
    part = (due / 2).quantize(Decimal("0.01"))
    receipt = submitted(await submit(portal, str(part), invoiceIds=[invoice["id"]]))
    # when an agent accepts it
    body = await portal.gql(ACCEPT, {"id": receipt["id"]}, portal.tokens["agent"])
    accepted = body["data"]["acceptPaymentReceipt"]
    assert accepted["errors"] == [], accepted
    # then the receipt is accepted with its payment, which settled that invoice
    assert accepted["receipt"]["status"] == "ACCEPTED" and accepted["receipt"]["decidedBy"].startswith("staff:")
    payment = accepted["receipt"]["payment"]
    assert payment["amount"]["amount"] == str(part) and [i["id"] for i in payment["invoices"]] == [invoice["id"]]
    # and the customer sees the invoice's balance and the account's figures drop by it
    after = await account(portal, customer_id)
    now_due = {i["id"]: Decimal(i["balanceDue"]["amount"]) for i in after["invoices"]["nodes"]}
    assert now_due[invoice["id"]] == due - part
    unpaid = lambda a: Decimal(a["account"]["unpaidTotal"]["amount"])  # noqa: E731
    balance = lambda a: Decimal(a["account"]["balance"]["amount"])  # noqa: E731
    assert unpaid(after) == unpaid(before) - part and balance(after) == balance(before) + part
    # and the customer sees it accepted, without who decided (staff only)
    mine = await portal.gql(MINE, {"id": customer_id}, portal.tokens["customer"])
    shown = next(r for r in mine["data"]["customer"]["paymentReceipts"] if r["id"] == receipt["id"])
    assert shown["status"] == "ACCEPTED" and shown["decidedBy"] is None
    assert shown["ticket"]["status"] == "CLOSED" and "aceptado" in shown["ticket"]["messages"][-1]["body"]
    # and the event tells of the payment and its allocation
    (event,) = [e for e in await portal.events_of("PaymentReceiptAccepted") if e["receiptId"] == raw_id(receipt["id"])]
    assert event["recordedBy"] == "gateway" and event["paymentId"] == raw_id(payment["id"])
    assert event["allocations"] == [{"invoiceId": raw_id(invoice["id"]), "amount": str(part)}]
    assert event["unallocated"] == "0.00"


async def test_an_unnamed_receipt_pays_the_oldest_first_and_the_rest_stays_as_credit(portal) -> None:
    # given the second account's unpaid documents
    body = await portal.gql(VIEWER, token=portal.tokens["customer"])
    second = body["data"]["viewer"]["accounts"][1]["id"]
    before = await account(portal, second)
    owed = [i for i in before["invoices"]["nodes"] if i["kind"] != "CREDIT_NOTE"]
    assert owed, "the demo's second account owes something"
    total = sum(Decimal(i["balanceDue"]["amount"]) for i in owed)
    # when it sends a receipt for everything and 100 more, and an agent accepts it
    receipt = submitted(await submit(portal, str(total + 100), customerId=second))
    accepted = (await portal.gql(ACCEPT, {"id": receipt["id"]}, portal.tokens["agent"]))["data"]["acceptPaymentReceipt"]
    assert accepted["errors"] == []
    # then nothing is owed, and 100 is left as credit on the account
    after = await account(portal, second)
    assert [i for i in after["invoices"]["nodes"] if i["kind"] != "CREDIT_NOTE"] == []
    (event,) = [e for e in await portal.events_of("PaymentReceiptAccepted") if e["receiptId"] == raw_id(receipt["id"])]
    assert event["unallocated"] == "100.00"
    oldest = sorted(owed, key=lambda i: (i["dueDate"] or i["issueDate"], i["issueDate"]))
    assert [a["invoiceId"] for a in event["allocations"]] == [raw_id(i["id"]) for i in oldest]


async def test_rejecting_needs_a_reason_the_customer_then_reads(portal) -> None:
    customer_id = await home_account(portal)
    receipt = submitted(await submit(portal, "33.00"))
    blank = (await portal.gql(REJECT, {"id": receipt["id"], "reason": "   "}, portal.tokens["agent"]))
    assert refused(blank, "rejectPaymentReceipt")["code"] == "BAD_INPUT"
    body = await portal.gql(REJECT, {"id": receipt["id"], "reason": "El comprobante no se lee"}, portal.tokens["agent"])
    assert body["data"]["rejectPaymentReceipt"]["receipt"]["status"] == "REJECTED"
    mine = await portal.gql(MINE, {"id": customer_id}, portal.tokens["customer"])
    shown = next(r for r in mine["data"]["customer"]["paymentReceipts"] if r["id"] == receipt["id"])
    assert (shown["status"], shown["reason"]) == ("REJECTED", "El comprobante no se lee")
    # and its ticket tells the same, from the business, and is closed
    assert shown["ticket"]["status"] == "CLOSED"
    told = shown["ticket"]["messages"][-1]
    assert not told["fromCustomer"] and "El comprobante no se lee" in told["body"]
    (event,) = [e for e in await portal.events_of("PaymentReceiptRejected") if e["receiptId"] == raw_id(receipt["id"])]
    assert event["reason"] == "El comprobante no se lee"
    # and a decided receipt is not decided again
    again = await portal.gql(ACCEPT, {"id": receipt["id"]}, portal.tokens["agent"], **{"Accept-Language": "en"})
    error = refused(again, "acceptPaymentReceipt")
    assert error["code"] == "ALREADY_DECIDED" and "rejected" in error["message"]
    queue = await portal.gql(QUEUE, {"status": "SUBMITTED"}, portal.tokens["agent"])
    assert receipt["id"] not in [r["id"] for r in queue["data"]["paymentReceipts"]["nodes"]]


async def test_two_agents_accepting_at_once_record_one_payment(portal) -> None:
    receipt = submitted(await submit(portal, "5.00"))
    async with portal.engine.connect() as conn:
        before = (await conn.execute(select(func.count()).select_from(payments))).scalar_one()
    answers = await asyncio.gather(*[portal.gql(ACCEPT, {"id": receipt["id"]}, portal.tokens["agent"]) for _ in range(4)])
    outcomes = sorted(a["data"]["acceptPaymentReceipt"]["errors"][0]["code"] if a["data"]["acceptPaymentReceipt"]["errors"]
                      else "OK" for a in answers)  # fmt: skip
    assert outcomes == ["ALREADY_DECIDED"] * 3 + ["OK"]
    async with portal.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(payments))).scalar_one() == before + 1


async def test_customers_analysts_and_partners_may_not_decide_or_read_the_queue(portal) -> None:
    receipt = submitted(await submit(portal, "8.00"))
    writer = await portal.partner(["customers:read", "billing:write"])
    for token in (portal.tokens["customer"], portal.tokens["analyst"], writer):
        assert set(codes(await portal.gql(ACCEPT, {"id": receipt["id"]}, token))) == {"FORBIDDEN"}
        assert set(codes(await portal.gql(REJECT, {"id": receipt["id"], "reason": "no"}, token))) == {"FORBIDDEN"}
        assert set(codes(await portal.gql(QUEUE, {}, token))) == {"FORBIDDEN"}
    queue = await portal.gql(QUEUE, {"status": "SUBMITTED"}, portal.tokens["agent"])
    assert receipt["id"] in [r["id"] for r in queue["data"]["paymentReceipts"]["nodes"]]  # still undecided
    unknown = await portal.gql(ACCEPT, {"id": global_id("PaymentReceipt", "999999")}, portal.tokens["agent"])
    assert refused(unknown, "acceptPaymentReceipt")["code"] == "NOT_FOUND"


async def test_another_customers_receipts_are_not_found(portal) -> None:
    mine = {a["id"] for a in (await portal.gql(VIEWER, token=portal.tokens["customer"]))["data"]["viewer"]["accounts"]}
    listing = await portal.gql("{ customers(first: 10) { nodes { id } } }", token=portal.tokens["agent"])
    other = next(c["id"] for c in listing["data"]["customers"]["nodes"] if c["id"] not in mine)
    assert codes(await portal.gql(MINE, {"id": other}, portal.tokens["customer"])) == ["NOT_FOUND"]


# --- over a legacy ERP ------------------------------------------------------------------------------


async def test_over_sap_a_receipt_is_queued_and_accepting_it_only_tells_the_erp(tmp_path) -> None:
    async with sap_portal(tmp_path) as portal:
        # given a customer of the SAP replica with an unpaid invoice
        customer_id = await home_account(portal)
        before = await account(portal, customer_id)
        invoice = before["invoices"]["nodes"][0]
        # when it submits a receipt and an agent accepts it
        body = await submit(portal, "20.00", invoiceIds=[invoice["id"]])
        receipt = submitted(body)
        # (its ticket lands in the store, the read-only replica taking none, and is read with the ERP's)
        ticket = body["data"]["submitPaymentReceipt"]["ticket"]
        assert (ticket["area"], ticket["category"]) == ("Administración", "Pagos")
        async with portal.engine.connect() as conn:
            kept = select(portal_tickets.c.customer_id).where(portal_tickets.c.id == int(raw_id(ticket["id"]).split("-")[1]))
            assert (await conn.execute(kept)).scalar_one() == raw_id(customer_id)
        body = await portal.gql(ACCEPT, {"id": receipt["id"]}, portal.tokens["agent"])
        accepted = body["data"]["acceptPaymentReceipt"]
        assert accepted["errors"] == [] and accepted["receipt"]["status"] == "ACCEPTED"
        # then no payment is written anywhere: the read-only replica answers the same figures
        assert accepted["receipt"]["payment"] is None
        assert (await account(portal, customer_id))["account"] == before["account"]
        async with portal.engine.connect() as conn:
            recorded = select(func.count()).select_from(payments).where(payments.c.number.like("RC 9000-%"))
            assert (await conn.execute(recorded)).scalar_one() == 0
        # and the event tells the ERP to record it
        (event,) = await portal.events_of("PaymentReceiptAccepted")
        assert event["recordedBy"] == "erp" and event["paymentId"] is None
        assert event["invoiceIds"] == [raw_id(invoice["id"])] and event["amount"] == "20.00"


# --- the rules --------------------------------------------------------------------------------------


def test_allocation_settles_in_order_and_keeps_the_rest_as_credit() -> None:
    from datetime import date

    documents = [
        OwedDocument("3", Decimal("50.00"), date(2026, 3, 10), date(2026, 2, 10)),
        OwedDocument("1", Decimal("100.00"), date(2026, 1, 10), date(2025, 12, 10)),
        OwedDocument("2", Decimal("80.00"), None, date(2026, 2, 1)),
    ]
    ordered = oldest_first(documents)
    assert [d.id for d in ordered] == ["1", "2", "3"]
    settled, left = allocate(Decimal("150.00"), ordered)
    assert [(a.document_id, a.amount) for a in settled] == [("1", Decimal("100.00")), ("2", Decimal("50.00"))]
    assert left == Decimal("0.00")
    settled, left = allocate(Decimal("300.00"), ordered)
    assert sum(a.amount for a in settled) == Decimal("230.00") and left == Decimal("70.00")
    assert receipt_amount_problem(Decimal("0.01")) is None
    assert receipt_amount_problem(Decimal("NaN")) == "amount (more than 0)"


async def test_over_ispcube_the_receipts_ticket_goes_into_its_tables_and_the_decision_is_told_there(tmp_path) -> None:
    from sqlalchemy import text

    from .tickets_portal import portal as ticket_portal

    async with ticket_portal(tmp_path, "ispcube") as isp:
        # when Ana submits a receipt
        body = await isp.upload(SUBMIT, {"amount": "1600.00", "file": None}, {"file": ("comprobante.pdf", RECEIPT_PDF,
                                "application/pdf")}, "ana")  # fmt: skip
        receipt = submitted(body)
        ticket = body["data"]["submitPaymentReceipt"]["ticket"]
        # then its ticket is in the ISP system's MariaDB, with the file, and read back from there
        async with isp.legacy.connect() as conn:
            (row,) = (await conn.execute(text("SELECT customer_id, subject FROM tickets WHERE id = :id"),
                                         {"id": int(raw_id(ticket["id"]))})).mappings().all()  # fmt: skip
            files = (await conn.execute(text("SELECT f.filename FROM ticket_item_files f JOIN ticket_items i "
                                             "ON i.id = f.ticket_item_id WHERE i.ticket_id = :id"),
                                        {"id": int(raw_id(ticket["id"]))})).scalars().all()  # fmt: skip
        assert (row["customer_id"], row["subject"]) == (1, "Comprobante de pago 1600.00 ARS")
        assert files == ["comprobante.pdf"]
        assert ticket["messages"][0]["attachments"] == [{"filename": "comprobante.pdf", "contentType": "application/pdf"}]
        # and rejecting it tells the ticket there, and closes it
        rejected = await isp.gql(REJECT, {"id": receipt["id"], "reason": "Falta el CBU de origen"}, "agent")
        assert rejected["data"]["rejectPaymentReceipt"]["errors"] == []
        thread = await isp.gql(MINE, {"id": isp.account("ana")}, "ana")
        shown = thread["data"]["customer"]["paymentReceipts"][0]
        assert shown["ticket"]["status"] == "CLOSED" and "Falta el CBU" in shown["ticket"]["messages"][-1]["body"]


async def test_an_agent_may_name_the_invoices_but_only_the_accounts_own(portal) -> None:
    customer_id = await home_account(portal)
    own = (await account(portal, customer_id))["invoices"]["nodes"][0]
    _, theirs = await someone_elses_unpaid_invoice(portal)
    receipt = submitted(await submit(portal, "1.00"))
    wrong = await portal.gql(ACCEPT, {"id": receipt["id"], "invoiceIds": [theirs]}, portal.tokens["agent"])
    assert refused(wrong, "acceptPaymentReceipt")["code"] == "NOT_FOUND"
    body = await portal.gql(ACCEPT, {"id": receipt["id"], "invoiceIds": [own["id"]]}, portal.tokens["agent"])
    accepted = body["data"]["acceptPaymentReceipt"]
    assert accepted["errors"] == [] and [i["id"] for i in accepted["receipt"]["payment"]["invoices"]] == [own["id"]]
