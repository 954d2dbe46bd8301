"""Run every contender on every workload against the same database, and report."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from . import data, workloads
from .wire import WireCounter

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
WORKLOADS = ("W1", "W2", "W3", "W4")


@dataclass
class Request:
    path: str
    token: str
    body: dict


@dataclass
class Contender:
    name: str
    what: str
    port: int
    command: Callable[[int], list[str]]  # database port -> argv
    env: Callable[[int], dict[str, str]] = lambda db_port: {}
    workloads: tuple[str, ...] = WORKLOADS
    requests: dict[str, list[Request]] = field(default_factory=dict)


def _python_env() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "VENTANILLA_SECRET_KEY": data.SECRET}


# The domains the `sap` mapping holds (tests/test_connector_serving.py routes the same ones).
SAP_DOMAINS = ("customers", "invoices", "tickets", "contracts", "plans", "quotes", "orders", "delivery_notes")


def sap_config(scale: str, db_port: int) -> Path:
    """A ventanilla.toml routing every SAP domain to the scale's SAP database (through `db_port`:
    the wire counter's proxy for the statement count, the server itself for the timed runs)."""
    path = Path(tempfile.gettempdir()) / f"ventanilla-bench-sap-{scale.lower()}-{db_port}.toml"
    routes = "\n".join(f'{domain} = "erp"' for domain in SAP_DOMAINS)
    path.write_text(
        f'[sources.erp]\nconnector = "sap"\nurl = "{data.sap_sqlalchemy_url(scale, db_port)}"\n\n[routes]\n{routes}\n'
    )
    return path


def contenders(scale: str) -> list[Contender]:
    venv_bin = Path(PYTHON).parent

    def ventanilla(workers: int) -> Contender:
        return Contender(
            name=f"ventanilla-{workers}w",
            what=f"`ventanilla serve --workers {workers} --no-access-log` (uvicorn), as a user deploys it behind a proxy",
            port=8110 + workers,
            command=lambda db_port: [str(venv_bin / "ventanilla"), "serve", "--port", str(8110 + workers),
                                     "--workers", str(workers), "--no-access-log"],  # fmt: skip
            env=lambda db_port: {
                "VENTANILLA_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{db_port}/{data.database_name(scale)}",
                "VENTANILLA_SECRET_KEY": data.SECRET,
            },
        )

    def ventanilla_sap() -> Contender:
        plain = ventanilla(1)
        return Contender(
            name="ventanilla-sap",
            what="`ventanilla serve --workers 1` with [routes] sending every domain to SAP ECC tables "
            "(the `sap` mapping) on PostgreSQL, W1 only; the store (users, sessions) is the native database",
            port=8115,
            command=lambda db_port: [*plain.command(db_port)[:3], "8115", *plain.command(db_port)[4:]],
            env=lambda db_port: {**plain.env(db_port), "VENTANILLA_CONFIG": str(sap_config(scale, db_port))},
            workloads=("W1",),
        )

    return [
        ventanilla(1),
        ventanilla(2),
        ventanilla_sap(),
        Contender(
            name="floor",
            what="minimal Starlette + asyncpg, hand-written SQL, orjson (bench/contenders/floor.py)",
            port=8120,
            command=lambda db_port: [PYTHON, "-m", "bench.contenders.floor", "--port", "8120",
                                     "--dsn", data.libpq_url(scale, db_port)],  # fmt: skip
            env=lambda db_port: _python_env(),
        ),
        Contender(
            name="naive",
            what="Strawberry + SQLAlchemy ORM relationships, no loaders (bench/contenders/naive.py)",
            port=8121,
            command=lambda db_port: [PYTHON, "-m", "bench.contenders.naive", "--port", "8121",
                                     "--url", data.sqlalchemy_url(scale).replace(":5432/", f":{db_port}/")],  # fmt: skip
            env=lambda db_port: _python_env(),
        ),
        Contender(
            name="postgraphile",
            what="PostGraphile 4.14.1 (node, bench/package.json), W1 and W2 only",
            port=8122,
            command=lambda db_port: [
                "node", str(BENCH / "node_modules" / "postgraphile" / "cli.js"),
                "--connection", data.libpq_url(scale, db_port), "--schema", "public",
                "--host", "127.0.0.1", "--port", "8122", "--disable-query-log",
            ],  # fmt: skip
            env=lambda db_port: {"NODE_ENV": "production"},
            workloads=("W1", "W2"),
        ),
    ]


def _global_id(customer_id: int) -> str:
    return base64.b64encode(f"Customer:{customer_id}".encode()).decode()


async def build_requests(scale: str, items: list[Contender], accounts: list[data.Account]) -> None:
    """The same customers in the same order for every contender."""
    analyst, cursors = await data.analyst_cursors(scale, datetime.now(UTC).date())
    analyst_token = await data.token_for(scale, analyst)
    for c in items:
        graphql = c.name != "floor"
        for w in c.workloads:
            path = "/graphql" if graphql else f"/{w.lower()}"
            if c.name == "postgraphile":
                c.requests[w] = [
                    Request("/graphql", "", {"query": workloads.POSTGRAPHILE[w],
                                              "variables": {"id": a.customer_id}})
                    for a in accounts
                ]  # fmt: skip  (W2's cursors are added by prepare_postgraphile)
                continue
            query = workloads.GRAPHQL[w]
            if w == "W1":
                reqs = [Request(path, a.token, {"query": query, "variables": {}}) for a in accounts]
            elif w == "W2":
                reqs = [Request(path, a.token, {"query": query, "variables": {"after": a.w2_after}}) for a in accounts]
            elif w == "W3":
                reqs = [
                    Request(path, a.token, {"query": query, "variables": {
                        "id": _global_id(a.customer_id), "cutOff": data.CUT_OFF.isoformat()}})
                    for a in accounts
                ]  # fmt: skip
            else:
                reqs = [Request(path, analyst_token, {"query": query, "variables": {"after": k}}) for k in cursors]
            c.requests[w] = reqs


async def prepare_postgraphile(client: httpx.AsyncClient, c: Contender) -> None:
    """PostGraphile's own cursor after each customer's 12th invoice, asked of PostGraphile."""
    first_page = """query($id: Int!) { customerById(id: $id) {
      invoicesByCustomerId(first: 12, orderBy: [ISSUE_DATE_DESC, ID_DESC]) { pageInfo { endCursor } } } }"""
    for r in c.requests.get("W2", []):
        answer = (await client.post(f"http://127.0.0.1:{c.port}/graphql",
                                    json={"query": first_page, "variables": r.body["variables"]})).json()  # fmt: skip
        cursor = answer["data"]["customerById"]["invoicesByCustomerId"]["pageInfo"]["endCursor"]
        r.body["variables"]["after"] = cursor


class Server:
    def __init__(self, contender: Contender, db_port: int, log: Path) -> None:
        self.c = contender
        env = {**os.environ, **contender.env(db_port)}
        self.log = open(log, "ab")
        self.process = subprocess.Popen(
            contender.command(db_port), env=env, cwd=tempfile.gettempdir() if contender.name.startswith("ventanilla") else ROOT,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    async def ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.c.name} exited with {self.process.returncode}")
                try:
                    await client.post(f"http://127.0.0.1:{self.c.port}/graphql", json={"query": "{__typename}"})
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.3)
        raise RuntimeError(f"{self.c.name} did not start in {timeout} s")

    def peak_memory_mb(self) -> float:
        """Σ VmHWM of the server process and its children (uvicorn's workers)."""
        total = 0
        for pid in _tree(self.process.pid):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return round(total / 1024, 1)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own child's process group
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self.log.close()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


async def send(client: httpx.AsyncClient, c: Contender, r: Request) -> dict:
    headers = {"Authorization": f"Bearer {r.token}"} if r.token else {}
    response = await client.post(f"http://127.0.0.1:{c.port}{r.path}", json=r.body, headers=headers)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{c.name}: {response.status_code} {json.dumps(body)[:300]}")
    return body


async def count_statements(c: Contender, counter: WireCounter, workdir: Path, samples: int) -> dict[str, float]:
    """Statements per request, on the wire, after a warm-up (connections opened, types known).

    The warm-up is long enough for every pooled connection to have run each statement: asyncpg
    looks an array parameter's type up once per connection (three statements: Ventanilla's keys
    go as `= ANY($1::VARCHAR[])`, connectors/driver.py), and the pool hands its connections out
    in turn, so a short warm-up counted those look-ups as the request's."""
    server = Server(c, counter.port, workdir / f"{c.name}.log")
    try:
        await server.ready()
        counts: dict[str, float] = {}
        async with httpx.AsyncClient(timeout=60) as client:
            if c.name == "postgraphile":
                await prepare_postgraphile(client, c)
            for w in c.workloads:
                reqs = c.requests[w]
                for r in reqs[-30:]:
                    await send(client, c, r)
                counter.counts.reset()
                for r in reqs[:samples]:
                    await send(client, c, r)
                counts[w] = round(counter.counts.statements / samples, 2)
        return counts
    finally:
        server.stop()


async def wrk(port: int, requests: list[Request], concurrency: int, seconds: int, workdir: Path) -> dict:
    listing = workdir / "requests.tsv"
    with open(listing, "w") as out:
        for r in requests:
            out.write(f"{r.path}\t{r.token}\t{json.dumps(r.body, separators=(',', ':'))}\n")
    threads = min(concurrency, 2)
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s",
        "-s", str(BENCH / "rotate.lua"), f"http://127.0.0.1:{port}", "--", str(listing),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    for line in out.decode().splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError(f"wrk gave no result: {out.decode()[-500:]}")


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
                        capture_output=True, text=True).stdout.strip()  # fmt: skip
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "load_average_at_start": list(os.getloadavg()),
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "python": platform.python_version(),
        "postgresql": pg,
        "node": node,
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip(),
    }


async def run(
    scale: str,
    *,
    seconds: int,
    warmup: int,
    concurrencies: tuple[int, ...],
    names: tuple[str, ...] | None,
    only: tuple[str, ...] | None,
    rotation: int,
    samples: int,
    label: str | None,
) -> Path:
    started = time.monotonic()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    info = machine()
    print(f"machine: {info['nproc']} x {info['cpu']}, {info['memory_gb']} GB, load {info['load_average_at_start']}")
    await data.ensure(scale)
    if any(c.name == "ventanilla-sap" for c in contenders(scale) if names is None or c.name in names):
        await data.ensure_sap(scale)
    accounts = await data.accounts(scale, rotation)
    chosen = [c for c in contenders(scale) if names is None or c.name in names]
    for c in chosen:
        if only:
            c.workloads = tuple(w for w in c.workloads if w in only)
    await build_requests(scale, chosen, accounts)
    print(f"{len(accounts)} customers in rotation, {len(chosen[0].requests.get('W4', []))} W4 cursors")
    counter = WireCounter()
    await counter.start()
    workdir = Path(tempfile.mkdtemp(prefix="ventanilla-bench-"))
    cells = []
    reference: tuple[str, dict[str, list[Any]]] | None = None  # the first contender of the API to answer
    differ: dict[str, list[str]] = {}
    try:
        for c in chosen:
            statements = await count_statements(c, counter, workdir, samples)
            print(f"[{c.name}] statements per request: {statements}")
            server = Server(c, 5432, workdir / f"{c.name}.log")
            try:
                await server.ready()
                if c.name in SAME_ANSWERS:
                    got = await answers(c)
                    reference = reference or (c.name, got)
                    first, expected = reference
                    differ[c.name] = [w for w in got if w in expected and got[w] != expected[w]]
                    for w in differ[c.name]:
                        print(f"[{c.name}] {w}: ANSWERS DIFFER from {first}'s: its figures do not compare")
                for w in c.workloads:
                    reqs = c.requests[w]
                    if warmup:
                        await wrk(c.port, reqs, 4, warmup, workdir)
                    for n in concurrencies:
                        result = await wrk(c.port, reqs, n, seconds, workdir)
                        rps = result["requests"] / (result["duration_us"] / 1e6)
                        cell = {
                            "contender": c.name, "workload": w, "concurrency": n,
                            "rps": round(rps, 1), "p50_ms": round(result["p50_us"] / 1000, 2),
                            "p99_ms": round(result["p99_us"] / 1000, 2),
                            "statements_per_request": statements[w],
                            "peak_memory_mb": server.peak_memory_mb(),
                            "errors": result["status_errors"] + result["socket_errors"],
                            "requests": result["requests"],
                        }  # fmt: skip
                        cells.append(cell)
                        print(
                            f"[{c.name}] {w} c={n:<2} {cell['rps']:>8.1f} req/s  p50 {cell['p50_ms']:>7.2f} ms  "
                            f"p99 {cell['p99_ms']:>7.2f} ms  {statements[w]:>5} stmt/req  "
                            f"{cell['peak_memory_mb']:>6} MB  errors {cell['errors']}"
                        )
            finally:
                server.stop()
    finally:
        await counter.stop()
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": scale,
        "customers": data.SCALES[scale],
        "seconds_per_cell": seconds,
        "rotation": len(accounts),
        "machine": info,
        "contenders": {c.name: c.what for c in chosen},
        "cells": cells,
        "ratios": ratios(cells),
        "answers_differ": differ,
        "wall_seconds": round(time.monotonic() - started, 1),
        "label": label,
    }
    out = BENCH / "results" / f"{date.today().isoformat()}-{scale}{'-' + label if label else ''}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(report))
    print(f"\nwritten {out.relative_to(ROOT)} in {report['wall_seconds']:.0f} s")
    return out


# Contenders of one API, whose answers to the same requests must be the same data.
SAME_ANSWERS = ("ventanilla-1w", "ventanilla-2w", "floor", "naive")


async def answers(c: Contender, each: int = 3) -> dict[str, list[Any]]:
    """The data of the first `each` requests of every workload, as the contender answers them."""
    got: dict[str, list[Any]] = {}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{c.port}", timeout=60) as client:
        for w in c.workloads:
            got[w] = []
            for r in c.requests[w][:each]:
                response = await client.post(r.path, json=r.body, headers={"Authorization": f"Bearer {r.token}"})
                got[w].append(response.json().get("data") if response.status_code == 200 else response.status_code)
    return got


def ratios(cells: list[dict]) -> list[dict]:
    """Ventanilla's throughput and p99 over the floor's and PostGraphile's, cell by cell."""
    index = {(c["contender"], c["workload"], c["concurrency"]): c for c in cells}
    out = []
    for (name, w, n), cell in index.items():
        if not name.startswith("ventanilla") or name == "ventanilla-sap":
            continue  # ventanilla-sap reads other tables than the floor and PostGraphile: compare it with -1w
        row = {"contender": name, "workload": w, "concurrency": n}
        for other in ("floor", "postgraphile"):
            base = index.get((other, w, n))
            if base and base["rps"]:
                row[f"rps_vs_{other}"] = round(cell["rps"] / base["rps"], 2)
        out.append(row)
    return out


def table(report: dict) -> str:
    index = {(r["contender"], r["workload"], r["concurrency"]): r for r in report["ratios"]}
    lines = [
        "| contender | workload | conc. | req/s | p50 ms | p99 ms | SQL/req | peak MB | vs floor | vs PostGraphile |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for c in report["cells"]:
        r = index.get((c["contender"], c["workload"], c["concurrency"]), {})
        vs_floor = f"{r['rps_vs_floor']:.2f}" if "rps_vs_floor" in r else ""
        vs_pg = f"{r['rps_vs_postgraphile']:.2f}" if "rps_vs_postgraphile" in r else ""
        errors = f" ({c['errors']} errors)" if c["errors"] else ""
        if c["workload"] in report.get("answers_differ", {}).get(c["contender"], ()):
            errors += " (other answers)"
        lines.append(
            f"| {c['contender']} | {c['workload']} | {c['concurrency']} | {c['rps']:.0f}{errors} | {c['p50_ms']:.1f} "
            f"| {c['p99_ms']:.1f} | {c['statements_per_request']:g} | {c['peak_memory_mb']:.0f} | {vs_floor} | {vs_pg} |"
        )
    return "\n".join(lines)
