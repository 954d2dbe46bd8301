"""`ventanilla demo` as a newcomer runs it: the e-mails it prints link back to the port it serves on."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

RESET = 'mutation { requestPasswordReset(input: {login: "cliente@example.com"}) { ok } }'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_reset_link_of_the_demo_points_at_the_port_it_serves_on(tmp_path: Path) -> None:
    # given the demo on a port other than the default
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}
    demo = subprocess.Popen(
        [sys.executable, "-m", "ventanilla", "demo", "--db", str(tmp_path / "demo.db"),
         "--port", str(port), "--customers", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and demo.poll() is None, "the demo did not start"
            time.sleep(0.3)
        # when the demo customer asks for a reset link
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": RESET}, timeout=10).json()
        assert answer["data"]["requestPasswordReset"]["ok"] is True
        time.sleep(0.5)
    finally:
        demo.terminate()
        output, _ = demo.communicate(timeout=20)
    # then the printed e-mail links to this server
    assert f"http://127.0.0.1:{port}/reset-password?token=" in output, output[-2000:]
    # and the request has its log line, with its time, level and request id (web/logs.py)
    assert re.search(
        r"\.\d{3}[+-]\d\d:\d\d INFO    ventanilla\.access \[[0-9a-f]{16}\] POST /graphql 200 ", output
    ), output[-2000:]
