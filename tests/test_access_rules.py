"""Access rules as plain functions, and a scan of the store proving no secret is kept in clear."""

from __future__ import annotations

import asyncio
import base64
import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from ventanilla.auth.logins import identifiers_of, is_placeholder_tax_id, login_key
from ventanilla.auth.mail import Templates
from ventanilla.auth.onetime import generate_password, new_code, words
from ventanilla.auth.scopes import missing_scope
from ventanilla.cli import main as cli_main
from ventanilla.connectors.records import CustomerStatus
from ventanilla.errors import ApiError, ErrorCode
from ventanilla.settings import LoginField
from ventanilla.store.tables import metadata


@pytest.mark.parametrize("raw", ["", "  ", "9999999", "99999999999", "99-99999999-9", "0", "00000000", "00-00000000-0"])
def test_placeholder_tax_ids(raw):
    assert is_placeholder_tax_id(raw)
    with pytest.raises(ApiError) as caught:
        login_key(LoginField.TAX_ID, raw)
    assert caught.value.code is ErrorCode.PLACEHOLDER_TAX_ID
    assert identifiers_of(raw, "000123") == {"CUSTOMER_CODE": "000123"}


def test_real_tax_ids_compare_by_digits_and_emails_always_work():
    assert not is_placeholder_tax_id("20-33344455-6")
    assert login_key(LoginField.TAX_ID, "20-33344455-6").value == login_key(LoginField.TAX_ID, "20333444556").value
    assert login_key(LoginField.TAX_ID, "Ana@Example.com ").kind == "EMAIL"
    assert login_key(LoginField.CUSTOMER_CODE, " c0012 ").value == "C0012"


def test_generated_passwords_are_two_distinct_words_from_a_big_list():
    assert len(words()) >= 2000 and len(set(words())) == len(words())
    assert all(w.isascii() and w.isalpha() and w.islower() and 4 <= len(w) <= 9 for w in words())
    made = {generate_password() for _ in range(200)}
    assert len(made) == 200  # "refresh" gives another pair
    for password in made:
        first, second = password.split(".")
        assert first in words() and second in words() and first != second
    assert all(re.fullmatch(r"\d{6}", new_code()) for _ in range(50))


def test_former_customers_rule():
    from ventanilla.auth.flows import keeps_access

    deleted = CustomerStatus.DELETED
    assert not keeps_access([deleted, deleted], False)
    assert keeps_access([deleted, deleted], True)
    assert keeps_access([deleted, CustomerStatus.SUSPENDED], False)


def test_scopes_are_declared_once():
    assert missing_scope(frozenset({"customers:read"}), "Customer", "invoices") == "billing:read"
    assert missing_scope(frozenset({"customers:read"}), "Invoice", "number") == "billing:read"
    assert missing_scope(frozenset({"customers:read"}), "Customer", "name") is None
    assert missing_scope(frozenset(), "Query", "customers") == "customers:read"
    assert missing_scope(frozenset({"customers:read"}), "Mutation", "grantPortalAccess") is not None


def test_templates_can_be_overridden_per_deployment(tmp_path):
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "code.txt").write_text("Subject: Código {{ code }}\n\nHola {{ name }}: {{ code }}\n")
    mail = Templates(str(tmp_path)).render("code", "es", "a@b.c", code="123456", name="Ana", minutes=10,
                                           portal_name="P", portal_url="u", login="a@b.c")
    assert mail.subject == "Código 123456" and mail.body == "Hola Ana: 123456\n"
    fallback = Templates(str(tmp_path)).render("reset", "en", "a@b.c", name="Ana", login="a@b.c", link="L",
                                               minutes=60, portal_name="P", portal_url="u")
    assert fallback.subject == "P: reset your password" and "L" in fallback.body


async def test_no_password_token_code_or_secret_is_stored_in_clear(access_api, capsys):
    """Run every flow that makes a secret, then read every text cell of the store."""
    secrets: list[str] = ["perro.calamar"]
    # a refresh token
    signed = (await access_api.gql("""mutation { signIn(input: {login: "cliente@example.com", password: "perro.calamar",
        rememberMe: true}) { accessToken refreshToken } }"""))["data"]["signIn"]
    secrets.append(signed["refreshToken"])
    # a reset token, and the new password it sets
    await access_api.gql('mutation { requestPasswordReset(input: {login: "analista@example.com"}) { ok } }')
    link = re.search(r"https://\S+", (await access_api.mail_to("analista@example.com")).get_content()).group(0)
    token = parse_qs(urlsplit(link).query)["token"][0]
    secrets.append(token)
    await access_api.gql("mutation($t: String!) { resetPassword(input: {token: $t, newPassword: \"gato.tornillo.nuevo\"}) { accessToken } }",
                         {"t": token})
    secrets.append("gato.tornillo.nuevo")
    # a sign-in code
    await access_api.gql('mutation { requestSignInCode(input: {email: "cliente@example.com"}) { ok } }')
    code = re.search(r"\b(\d{6})\b", (await access_api.mail_to("cliente@example.com")).get_content()).group(1)
    secrets.append(code)
    # a temporary password from a grant, and a partner's client secret
    admin = await access_api.sign_in("admin.test@example.com", "clave.admin.larga")
    customer_id = base64.b64encode(b"Customer:27").decode()
    granted = await access_api.gql('mutation($id: ID!) { grantPortalAccess(input: {customerId: $id, login: "secreto@example.com"}) { temporaryPassword } }',
                                   {"id": customer_id}, admin)
    secrets.append(granted["data"]["grantPortalAccess"]["temporaryPassword"])
    assert await asyncio.to_thread(cli_main, ["partners", "add", "Socio", "--scopes", "customers:read", "--db", access_api.url]) == 0
    secrets.append(capsys.readouterr().out.split("client_secret:")[1].split()[0])
    assert all(secrets)
    # when every cell of every store table is read
    cells: list[str] = []
    async with access_api.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                # instants are skipped: their microseconds could hold any 6 digits by chance
                cells += [str(v) for v in row if v is not None and not isinstance(v, datetime | date)]
    # then no secret appears in any of them, not even inside a longer value
    assert cells
    leaked = [s for s in secrets if any(s in cell for cell in cells)]
    assert leaked == []


ACCESS_MUTATIONS = ["signIn", "refreshSession", "signOut", "requestPasswordReset", "resetPassword", "changePassword",
                    "requestSignInCode", "signInWithCode", "grantPortalAccess", "revokePortalAccess"]


def test_access_mutations_and_inputs_match_the_contract_exactly():
    from pathlib import Path

    from graphql import (
        InputObjectTypeDefinitionNode,
        ObjectTypeDefinitionNode,
        get_named_type,
        parse,
        print_ast,
    )
    from ventanilla.schema.root import build_schema

    contract_file = Path(__file__).resolve().parents[1] / "docs" / "schema-contract.graphql"
    definitions = parse(contract_file.read_text(encoding="utf-8")).definitions
    mutation = next(d for d in definitions if isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Mutation")
    inputs = {d.name.value: {f.name.value: print_ast(f.type) for f in d.fields}
              for d in definitions if isinstance(d, InputObjectTypeDefinitionNode)}
    served = build_schema()._schema
    for field in mutation.fields:
        name = field.name.value
        if name not in ACCESS_MUTATIONS:
            continue
        have = served.mutation_type.fields[name]
        assert str(have.type) == print_ast(field.type), name
        assert {a: str(arg.type) for a, arg in have.args.items()} == {a.name.value: print_ast(a.type) for a in field.arguments or ()}
        for arg in field.arguments or ():
            input_name = get_named_type(have.args[arg.name.value].type).name
            served_input = {f: str(v.type) for f, v in served.type_map[input_name].fields.items()}
            assert served_input == inputs[input_name], input_name
    assert {f.name.value for f in mutation.fields} >= set(ACCESS_MUTATIONS)


def test_customers_read_opens_only_who_a_customer_is_however_the_schema_is_walked():
    # given the served schema, walked from the root as a partner holding customers:read alone
    from pathlib import Path

    from graphql import GraphQLInterfaceType, GraphQLObjectType, build_schema, get_named_type
    from ventanilla.auth.scopes import CUSTOMERS_READ, missing_scope

    schema = build_schema((Path(__file__).resolve().parents[1] / "schema.graphql").read_text(encoding="utf-8"))
    opened: set[str] = set()
    seen: set[str] = set()
    pending = ["Query"]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        kind = schema.get_type(name)
        assert isinstance(kind, GraphQLObjectType | GraphQLInterfaceType)
        if isinstance(kind, GraphQLInterfaceType):  # node(id:) reaches every implementation
            pending += [t.name for t in schema.get_possible_types(kind)]
        for field_name, field in kind.fields.items():
            if missing_scope(frozenset({CUSTOMERS_READ}), name, field_name) is None:
                opened.add(name)
                target = get_named_type(field.type)
                if isinstance(target, GraphQLObjectType | GraphQLInterfaceType):
                    pending.append(target.name)
    # then it reads only identity and contact data (auditLog, outgoingEmails and eventDeliveries are for admins,
    # refused by role); a new field carrying another kind of data fails here until auth/scopes.py declares its scope
    # (PaymentProvider: the portal's payment buttons, public like the rest of PortalInfo)
    assert opened == {"Query", "Node", "Viewer", "PortalInfo", "PaymentProvider", "PaymentButtonLabel", "AuditEntry", "OutgoingEmail", "EventDelivery", "Customer", "CustomerConnection",
                      "CustomerEdge", "PageInfo", "TaxId", "Address", "ContactEmail", "ContactPhone", "Company"}
