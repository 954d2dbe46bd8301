"""`ventanilla demo` as a newcomer runs it: the three providers are configured against the local
stand-in it starts (and says so), and the demo customer pays an overdue debt and sees it paid."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx

SIGN_IN = (
    'mutation { signIn(input: {login: "cliente@example.com", password: "perro.calamar"}) { accessToken } }'
)
ACCOUNT = "{ viewer { customer { account { overdue { amount currency } unpaidTotal { amount } } } } }"
START = """mutation($p: String!) { startPayment(input: {option: DEBT_BALANCE, provider: $p}) {
  redirectUrl attempt { reference status amount { amount } } errors { code message } } }"""
ATTEMPTS = "{ viewer { customer { paymentAttempts { reference status } } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demo_customer_pays_its_overdue_debt_through_the_stand_in(tmp_path: Path) -> None:
    port = _free_port()
    api = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}
    demo = subprocess.Popen(
        [sys.executable, "-m", "ventanilla", "demo", "--db", str(tmp_path / "demo.db"),
         "--port", str(port), "--customers", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and demo.poll() is None, "the demo did not start"
            time.sleep(0.3)

        def gql(query: str, variables: dict | None = None, token: str | None = None) -> dict:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = httpx.post(f"{api}/graphql", json={"query": query, "variables": variables or {}},
                              headers=headers, timeout=20).json()  # fmt: skip
            assert "errors" not in body, body
            return body["data"]

        token = gql(SIGN_IN)["signIn"]["accessToken"]
        providers = gql("{ portal { paymentProviders { name displayName } } }")["portal"]["paymentProviders"]
        assert [p["name"] for p in providers] == ["mercadopago", "stripe", "redsys"]
        before = gql(ACCOUNT, token=token)["viewer"]["customer"]["account"]
        overdue = Decimal(before["overdue"]["amount"])
        assert overdue > 0, before  # the demo customer has an overdue debt to pay
        started = gql(START, {"p": "mercadopago"}, token)["startPayment"]
        assert started["errors"] == [] and Decimal(started["attempt"]["amount"]["amount"]) == overdue, started
        reference = started["attempt"]["reference"]
        standin = re.match(r"https?://[^/]+", started["redirectUrl"]).group(0)
        assert "Stand-in" in httpx.get(started["redirectUrl"], timeout=10).text  # the page says what it is
        paid = httpx.post(f"{standin}/_standin/pay/{reference}", timeout=20).json()
        assert paid["status"] == 200, paid
        after = gql(ACCOUNT, token=token)["viewer"]["customer"]["account"]
        assert Decimal(after["overdue"]["amount"]) == 0
        assert Decimal(after["unpaidTotal"]["amount"]) == Decimal(before["unpaidTotal"]["amount"]) - overdue
        attempts = gql(ATTEMPTS, token=token)["viewer"]["customer"]["paymentAttempts"]
        assert {"reference": reference, "status": "APPROVED"} in attempts
    finally:
        demo.terminate()
        output, _ = demo.communicate(timeout=20)
    assert "local stand-in, NOT a real payment" in output, output[-2000:]
