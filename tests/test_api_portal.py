"""A customer user's portal over HTTP: sign-in, dashboard, statement, ledger, pages."""

from __future__ import annotations

from decimal import Decimal

CUSTOMER = ("cliente@example.com", "perro.calamar")

VIEWER = "{ viewer { kind name mustChangePassword accounts { id name company { id name } } customer { id } } }"

DASHBOARD = """
{ viewer { customer {
    name code taxId { kind formatted isPlaceholder }
    emails { address primary } phones { number kind }
    billingAddress { street city province }
    account { unpaidTotal { amount currency } balance { amount } overdue { amount }
              creditLimit { amount } availableCredit { amount } }
    invoices(first: 12) {
      nodes { id number kind issueDate dueDate status total { amount } balanceDue { amount }
              lines { position description total { amount } } paymentCode { code barcode networks } pdfUrl }
      pageInfo { hasNextPage endCursor }
    }
    tickets(first: 10) { nodes { number subject status messages { author fromCustomer internal body } } }
    contracts { nodes { title status pendingSignature pdfUrl } }
    subscriptions { status price { amount } plan { name downloadMbps price { amount } }
                    serviceAddress { street } promotions { name active validFrom validTo } }
} } }
"""

UNPAID = """
query($id: ID!, $after: String) { customer(id: $id) {
  account { unpaidTotal { amount } overdue { amount } }
  invoices(first: 100, after: $after, filter: {unpaidOnly: true}) {
    nodes { status balanceDue { amount } } pageInfo { hasNextPage endCursor } } } }
"""

STATEMENT = """
query($id: ID!, $cutOff: Date) { customer(id: $id) { statement(cutOff: $cutOff) {
  cutOff overdue { amount } notYetDue { amount } total { amount } creditLimit { amount }
  aging { label fromDays toDays amount { amount } items }
  openItems { kind documentNumber dueDate daysOverdue openAmount { amount } }
  pdfUrl xlsxUrl customer { id } } } }
"""

LEDGER = """
query($id: ID!, $first: Int, $after: String, $to: Date) { customer(id: $id) {
  ledger(first: $first, after: $after, to: $to) {
    nodes { id date kind documentNumber debit { amount } credit { amount } balance { amount } }
    pageInfo { hasNextPage endCursor } } } }
"""

INVOICE_PAGE = """
query($id: ID!, $after: String) { customer(id: $id) { invoices(first: 5, after: $after) {
  edges { cursor node { id number issueDate } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }
"""


def amount(money: dict | None) -> Decimal:
    return Decimal(money["amount"])


async def accounts_of(api, token: str) -> list[dict]:
    return (await api.gql(VIEWER, token=token))["data"]["viewer"]["accounts"]


async def test_signed_out_viewer_is_anonymous(demo_api):
    body = await demo_api.gql(VIEWER)
    assert body["data"]["viewer"]["kind"] == "ANONYMOUS"
    assert body["data"]["viewer"]["accounts"] == []
    assert body["data"]["viewer"]["customer"] is None


async def test_customer_user_acts_for_two_accounts_of_different_companies(demo_api):
    # given
    token = await demo_api.sign_in(*CUSTOMER)
    # when
    viewer = (await demo_api.gql(VIEWER, token=token))["data"]["viewer"]
    # then
    assert viewer["kind"] == "CUSTOMER"
    assert len(viewer["accounts"]) == 2
    assert viewer["accounts"][0]["company"]["id"] != viewer["accounts"][1]["company"]["id"]
    assert viewer["customer"]["id"] == viewer["accounts"][0]["id"]


async def test_wrong_password_is_an_error_in_the_payload_in_the_callers_language(demo_api):
    query = 'mutation { signIn(input: {login: "cliente@example.com", password: "gato.perro"}) { accessToken errors { code message field } } }'
    spanish = (await demo_api.gql(query))["data"]["signIn"]
    english = (await demo_api.gql(query, **{"Accept-Language": "en-US,en;q=0.9"}))["data"]["signIn"]
    assert spanish["accessToken"] is None
    assert spanish["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert spanish["errors"][0]["message"] == "Usuario o contraseña incorrectos."
    assert english["errors"][0]["message"] == "Wrong login or password."
    unknown = await demo_api.gql(query.replace("cliente@", "nadie@"))
    assert unknown["data"]["signIn"]["errors"] == spanish["errors"]  # nothing tells logins apart


async def test_dashboard_answers_every_section(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    body = await demo_api.gql(DASHBOARD, token=token)
    assert "errors" not in body, body
    customer = body["data"]["viewer"]["customer"]
    invoices = customer["invoices"]["nodes"]
    assert len(invoices) == 12 and customer["invoices"]["pageInfo"]["hasNextPage"]
    assert all(inv["lines"] for inv in invoices)
    for inv in invoices:  # the total of an invoice is the sum of its lines
        assert sum(amount(line["total"]) for line in inv["lines"]) == amount(inv["total"])
    assert [i["issueDate"] for i in invoices] == sorted((i["issueDate"] for i in invoices), reverse=True)
    assert invoices[0]["number"][0] in "ABC" and "-" in invoices[0]["number"]
    assert invoices[0]["pdfUrl"].startswith("http://testserver/files/invoice/")  # absolute (resolvers/links.py)
    assert customer["subscriptions"] and customer["subscriptions"][0]["plan"]["name"]
    assert customer["contracts"]["nodes"]
    assert customer["account"]["unpaidTotal"]["currency"] == "ARS"


async def test_unpaid_total_is_the_sum_of_unpaid_invoices(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    for account in await accounts_of(demo_api, token):
        # given every unpaid invoice of the account, page by page
        balances, overdue, after = [], Decimal(0), None
        while True:
            customer = (await demo_api.gql(UNPAID, {"id": account["id"], "after": after}, token))["data"]["customer"]
            nodes = customer["invoices"]["nodes"]
            balances += [amount(n["balanceDue"]) for n in nodes]
            overdue += sum((amount(n["balanceDue"]) for n in nodes if n["status"] == "OVERDUE"), Decimal(0))
            if not customer["invoices"]["pageInfo"]["hasNextPage"]:
                break
            after = customer["invoices"]["pageInfo"]["endCursor"]
        # then the dashboard figures agree with them
        assert all(b > 0 for b in balances)
        assert amount(customer["account"]["unpaidTotal"]) == sum(balances, Decimal(0))
        assert amount(customer["account"]["overdue"]) == overdue


async def test_statement_adds_up_and_matches_the_current_account(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    account = (await accounts_of(demo_api, token))[0]
    for cut_off in ("2025-06-30", "2026-01-15", None):
        # when
        body = await demo_api.gql(STATEMENT, {"id": account["id"], "cutOff": cut_off}, token)
        statement = body["data"]["customer"]["statement"]
        items = statement["openItems"]
        # then the statement is internally consistent
        total = amount(statement["total"])
        assert total == amount(statement["overdue"]) + amount(statement["notYetDue"])
        assert total == sum((amount(i["openAmount"]) for i in items), Decimal(0))
        assert sum((amount(b["amount"]) for b in statement["aging"]), Decimal(0)) == amount(statement["overdue"])
        assert [b["label"] for b in statement["aging"]] == ["1-30", "31-60", "61-90", "90+"]
        assert all(i["daysOverdue"] >= 1 for i in items if i["dueDate"] < statement["cutOff"])
        # and equals minus the running balance of the current account at the same date
        ledger = (await demo_api.gql(LEDGER, {"id": account["id"], "first": 1, "to": statement["cutOff"]}, token))
        entries = ledger["data"]["customer"]["ledger"]["nodes"]
        running = amount(entries[0]["balance"]) if entries else Decimal(0)
        assert total == -running
        assert statement["pdfUrl"].startswith("http://testserver/files/statement/") and "cutOff=" in statement["xlsxUrl"]


async def test_ledger_pages_continue_where_the_previous_ended(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    account = (await accounts_of(demo_api, token))[0]
    first = (await demo_api.gql(LEDGER, {"id": account["id"], "first": 10}, token))["data"]["customer"]["ledger"]
    second = (await demo_api.gql(
        LEDGER, {"id": account["id"], "first": 10, "after": first["pageInfo"]["endCursor"]}, token
    ))["data"]["customer"]["ledger"]
    both = first["nodes"] + second["nodes"]
    assert len({e["id"] for e in both}) == 20
    assert [e["date"] for e in both] == sorted((e["date"] for e in both), reverse=True)
    # the running balance after an entry = the balance before it + credit - debit
    for newer, older in zip(both, both[1:]):
        assert amount(newer["balance"]) == amount(older["balance"]) + amount(newer["credit"]) - amount(newer["debit"])


async def test_invoice_pages_by_cursor_do_not_overlap(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    account = (await accounts_of(demo_api, token))[0]
    page1 = (await demo_api.gql(INVOICE_PAGE, {"id": account["id"]}, token))["data"]["customer"]["invoices"]
    page2 = (await demo_api.gql(
        INVOICE_PAGE, {"id": account["id"], "after": page1["pageInfo"]["endCursor"]}, token
    ))["data"]["customer"]["invoices"]
    ids1 = [e["node"]["id"] for e in page1["edges"]]
    ids2 = [e["node"]["id"] for e in page2["edges"]]
    assert len(ids1) == len(ids2) == 5 and not set(ids1) & set(ids2)
    assert page1["pageInfo"]["hasPreviousPage"] is False and page2["pageInfo"]["hasPreviousPage"] is True
    assert page1["edges"][-1]["node"]["issueDate"] >= page2["edges"][0]["node"]["issueDate"]


async def test_node_fetches_an_own_invoice_again(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    account = (await accounts_of(demo_api, token))[0]
    page = (await demo_api.gql(INVOICE_PAGE, {"id": account["id"]}, token))["data"]["customer"]["invoices"]
    invoice = page["edges"][0]["node"]
    body = await demo_api.gql(
        "query($id: ID!) { node(id: $id) { id ... on Invoice { number customer { id } } } }", {"id": invoice["id"]}, token
    )
    assert body["data"]["node"] == {"id": invoice["id"], "number": invoice["number"], "customer": {"id": account["id"]}}


async def test_customers_never_see_internal_ticket_notes(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    query = """query($id: ID!) { customer(id: $id) { tickets(first: 100) { nodes { messages { internal body } } } } }"""
    for account in await accounts_of(demo_api, token):
        tickets = (await demo_api.gql(query, {"id": account["id"]}, token))["data"]["customer"]["tickets"]["nodes"]
        assert tickets, "the demo accounts have tickets"
        assert not any(m["internal"] for t in tickets for m in t["messages"])


async def test_plans_catalogue_lists_portal_plans_cheapest_first(demo_api):
    body = await demo_api.gql("{ plans(first: 50) { nodes { name price { amount } availableInPortal downloadMbps } } }")
    plans = body["data"]["plans"]["nodes"]
    assert plans and all(p["availableInPortal"] for p in plans)
    prices = [amount(p["price"]) for p in plans]
    assert prices == sorted(prices)


async def test_portal_info_is_public(demo_api):
    body = await demo_api.gql("{ portal { name loginField primaryColor features languages } }")
    portal = body["data"]["portal"]
    assert portal["loginField"] == "EMAIL"
    assert "STATEMENT" in portal["features"] and portal["languages"] == ["es", "en"]


FIRST_ZERO = """{ viewer { customer {
  invoices(first: 0) { nodes { number } pageInfo { hasNextPage endCursor } }
  tickets(first: 0) { nodes { number } pageInfo { hasNextPage } }
  contracts(first: 0) { nodes { title } pageInfo { hasNextPage } } } } }"""


async def test_first_zero_answers_no_item_and_says_whether_the_list_has_any(demo_api):
    # given the demo customer, who has invoices
    token = await demo_api.sign_in("cliente@example.com", "perro.calamar")
    # when asking for pages of nothing
    customer = (await demo_api.gql(FIRST_ZERO, token=token))["data"]["viewer"]["customer"]
    # then no item comes back, and hasNextPage tells whether there is anything to page to
    assert customer["invoices"] == {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": None}}
    full = await demo_api.gql("{ viewer { customer { tickets { nodes { number } } contracts { nodes { title } } } } }", token=token)
    for name in ("tickets", "contracts"):
        assert customer[name]["nodes"] == []
        assert customer[name]["pageInfo"]["hasNextPage"] == bool(full["data"]["viewer"]["customer"][name]["nodes"])
