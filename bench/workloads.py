"""The four workloads: the GraphQL each contender is asked, and the variables of each request."""

from __future__ import annotations

W1 = """query W1 { viewer { customer {
  name code
  account { unpaidTotal { amount currency } balance { amount } overdue { amount } availableCredit { amount } }
  invoices(first: 12) {
    nodes { number issueDate dueDate total { amount } balanceDue { amount } status
            lines { description quantity total { amount } } }
    pageInfo { hasNextPage endCursor }
  }
  tickets(first: 10, filter: {openOnly: true}) {
    nodes { number subject status messages { author body createdAt } }
  }
  contracts { nodes { title status pendingSignature } }
  subscriptions { plan { name downloadMbps } price { amount } serviceAddress { street city }
                  promotions { name active validTo } }
} } }"""

W2 = """query W2($after: String) { viewer { customer {
  invoices(first: 50, after: $after) {
    nodes { number issueDate dueDate total { amount } balanceDue { amount } status }
    pageInfo { hasNextPage endCursor }
  }
} } }"""

W3 = """query W3($id: ID!, $cutOff: Date!) { customer(id: $id) {
  statement(cutOff: $cutOff) {
    creditLimit { amount } overdue { amount } notYetDue { amount } total { amount }
    availableCredit { amount }
    aging { label amount { amount } items }
    openItems { documentNumber postedOn dueDate daysOverdue openAmount { amount } }
  }
} }"""

W4 = """query W4($after: String) {
  customers(first: 100, after: $after, filter: {overdueOnly: true}) {
    nodes { code name status account { overdue { amount } balance { amount } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

GRAPHQL = {"W1": W1, "W2": W2, "W3": W3, "W4": W4}

# PostGraphile 4's generated schema (default inflection) on the same tables. It has no
# computed account summary, invoice status or "open only" filter (those need plugins or
# SQL functions): W1 asks for the raw columns they derive from, and open tickets as
# status OPEN. That is less work than the others do, in PostGraphile's favour.
PG_W1 = """query W1($id: Int!) { customerById(id: $id) {
  name code creditLimit
  invoicesByCustomerId(first: 12, orderBy: [ISSUE_DATE_DESC, ID_DESC]) {
    nodes { letter pointOfSale number issueDate dueDate total paidAmount void kind
            invoiceLinesByInvoiceId(orderBy: [POSITION_ASC, ID_ASC]) { nodes { description quantity total } } }
    pageInfo { hasNextPage endCursor }
  }
  ticketsByCustomerId(first: 10, orderBy: [CREATED_AT_DESC, ID_DESC], condition: {status: "OPEN"}) {
    nodes { number subject status
            ticketMessagesByTicketId(orderBy: [CREATED_AT_ASC, ID_ASC], condition: {internal: false}) {
              nodes { authorName body createdAt } } }
  }
  contractsByCustomerId(first: 20, orderBy: [ISSUED_AT_DESC, ID_DESC]) { nodes { title status } }
  subscriptionsByCustomerId(orderBy: [ID_ASC]) {
    nodes { price street city planByPlanId { name downloadMbps }
            subscriptionPromotionsBySubscriptionId { nodes { validFrom validTo promotionByPromotionId { name } } } }
  }
} }"""

PG_W2 = """query W2($id: Int!, $after: Cursor) { customerById(id: $id) {
  invoicesByCustomerId(first: 50, after: $after, orderBy: [ISSUE_DATE_DESC, ID_DESC]) {
    nodes { letter pointOfSale number issueDate dueDate total paidAmount void kind }
    pageInfo { hasNextPage endCursor }
  }
} }"""

POSTGRAPHILE = {"W1": PG_W1, "W2": PG_W2}
