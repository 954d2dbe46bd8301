"""Where Ventanilla's time goes: one workload in-process under pyinstrument.

    python -m bench.profile W1 --requests 200 [--scale S] [--html out.html]

The app is served through httpx's ASGI transport (no uvicorn, no network between client
and app), so the profile shows the gateway's own work: auth, GraphQL, loaders, SQL.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from . import data, run


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("workload", choices=run.WORKLOADS)
    parser.add_argument("--scale", default="S")
    parser.add_argument(
        "--contender", default="ventanilla-1w", choices=("ventanilla-1w", "ventanilla-sap"),
        help="ventanilla-sap: the workload over the `sap` mapping (W1 only)",
    )  # fmt: skip
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--html", help="write pyinstrument's HTML report here")
    parser.add_argument("--no-profile", action="store_true", help="only time it")
    parser.add_argument(
        "--calls",
        action="store_true",
        help="count Python function calls per request (cProfile): repeatable on a loaded machine",
    )
    parser.add_argument("--pstats", help="with --calls: write cProfile's statistics here (python -m pstats FILE)")
    parser.add_argument(
        "--by-package", action="store_true",
        help="CPU per request by package, each function's own time: sampled by pyinstrument, or"
             " with --calls counted by cProfile (which inflates code that makes many small calls)",
    )  # fmt: skip
    parser.add_argument(
        "--without", default="", help="turn things off for a before/after: cache,orjson,plan,driver"
    )
    args = parser.parse_args()

    os.environ["VENTANILLA_DATABASE_URL"] = data.sqlalchemy_url(args.scale)
    os.environ["VENTANILLA_SECRET_KEY"] = data.SECRET
    if args.contender == "ventanilla-sap":
        await data.ensure_sap(args.scale)
        os.environ["VENTANILLA_CONFIG"] = str(run.sap_config(args.scale, 5432))
    from ventanilla.web import graphql as module
    from ventanilla.web.app import create_app

    off = set(filter(None, args.without.split(",")))
    if "cache" in off:

        def passthrough(self):  # type: ignore[no-untyped-def]
            yield

        module.CachedDocuments.on_parse = passthrough  # type: ignore[method-assign]
        module.CachedDocuments.on_validate = passthrough  # type: ignore[method-assign]
    if "orjson" in off:
        from strawberry.http.base import BaseView

        module.VentanillaGraphQL.encode_json = BaseView.encode_json  # type: ignore[method-assign]
    if "plan" in off:  # graphql-core's own completion of every field (web/execution.py)
        from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

        module.PlannedExecution = StrawberryGraphQLCoreExecutionContext  # type: ignore[misc]
    if "driver" in off:  # every statement through SQLAlchemy's execution (connectors/driver.py)
        from ventanilla.connectors import executor

        executor.DriverPath = lambda dialect: None  # type: ignore[assignment,misc]
    app = create_app()
    accounts = await data.accounts(args.scale, 400)
    (ventanilla,) = [c for c in run.contenders(args.scale) if c.name == args.contender]
    ventanilla.workloads = (args.workload,)
    await run.build_requests(args.scale, [ventanilla], accounts)
    requests = ventanilla.requests[args.workload]
    transport = httpx.ASGITransport(app=app)
    # The app's lifespan runs as under uvicorn: its start (the garbage collector's settings
    # among it) and its close.
    lifespan = app.router.lifespan_context(app)
    async with lifespan, httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:

        async def one(i: int) -> None:
            r = requests[i % len(requests)]
            response = await client.post(r.path, json=r.body, headers={"Authorization": f"Bearer {r.token}"})
            assert response.status_code == 200 and "errors" not in response.json(), response.text[-1500:]

        async def batch(n: int) -> None:
            for start in range(0, n, args.concurrency):
                await asyncio.gather(*(one(i) for i in range(start, min(n, start + args.concurrency))))

        await batch(20)  # warm-up: connections, caches
        profiler = None
        if not args.no_profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled")
            profiler.start()
        counter = None
        if args.calls:
            import cProfile

            counter = cProfile.Profile()
            counter.enable()
        collections = GcTimes()
        started, cpu = time.perf_counter(), time.process_time()
        await batch(args.requests)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        collections.stop()
        if counter is not None:
            import pstats

            counter.disable()
            if args.pstats:
                counter.dump_stats(args.pstats)
            stats = pstats.Stats(counter)
            calls = stats.total_calls  # type: ignore[attr-defined]
            print(f"{args.workload}: {calls / args.requests:,.0f} Python function calls per request")
            if args.by_package:
                print(by_package(stats, args.requests))
        if profiler is not None:
            profiler.stop()
            if args.html:
                profiler.write_html(args.html)
            if args.by_package and profiler.last_session is not None:
                print(sampled_by_package(profiler.last_session.root_frame(trim_stem=False), args.requests))
                print(f"{'the process':48} {cpu / args.requests * 1000:7.2f}   (CPU per request, client included)")
            print(
                profiler.output_text(
                    unicode=True, color=False, show_all=bool(os.environ.get("BENCH_PROFILE_ALL"))
                )
            )
    print(
        f"{args.workload}: {args.requests} requests in {elapsed:.2f} s = {elapsed / args.requests * 1000:.2f} ms each, "
        f"CPU {cpu / args.requests * 1000:.2f} ms each (client and app, one process)"
    )
    print(f"{args.workload}: {collections.summary(args.requests)}")


class GcTimes:
    """The cyclic garbage collector's runs while it is installed: how many of each generation,
    and the time they took (gc.callbacks)."""

    def __init__(self) -> None:
        self.runs = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started
            self.runs[info["generation"]] += 1

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self, requests: int) -> str:
        each = ", ".join(
            f"{name} {runs / requests:.3g} × {seconds / runs * 1000 if runs else 0:.2f} ms"
            for name, runs, seconds in zip(("young", "middle", "full"), self.runs, self.seconds, strict=True)
        )
        return (
            f"garbage collector {sum(self.seconds) / requests * 1000:.2f} ms per request ({each}; "
            f"thresholds {gc.get_threshold()}, {len(gc.get_objects()):,} objects tracked, "
            f"{gc.get_freeze_count():,} frozen)"
        )


def package_of(filename: str) -> str:
    """The installed package, Ventanilla's layer, or the standard library's module a function is in."""
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0]
    root = str(Path(__file__).resolve().parents[1]) + "/"
    if filename.startswith(root):
        return "ventanilla/" + filename[len(root) :].split("/")[0]
    if filename.startswith("~") or filename.startswith("<"):
        return "built-in functions (socket, dict, isinstance ...)"
    return "stdlib " + Path(filename).stem


def by_package(stats: Any, requests: int) -> str:
    """A table: each package's own CPU time (ms) and calls per request under cProfile, largest first."""
    own: dict[str, float] = defaultdict(float)
    calls: dict[str, float] = defaultdict(int)
    for (filename, _, _), (_, count, self_time, _, _) in stats.stats.items():
        own[package_of(filename)] += self_time
        calls[package_of(filename)] += count
    return _table(own, requests, "all (under cProfile, which adds its own cost)", calls)


def sampled_by_package(root: Any, requests: int) -> str:
    """The same table from pyinstrument's samples (a frame tree of wall time): each frame's own
    time; time awaiting and the loop's wait for sockets (epoll) left out. Sampling adds little
    cost, so this is the nearer map on a quiet machine; it counts no calls."""
    from pyinstrument.frame import SELF_TIME_FRAME_IDENTIFIER

    own: dict[str, float] = defaultdict(float)
    stack = [root]
    while stack:
        frame = stack.pop()
        package = package_of(frame.file_path or "<")
        if frame.function in ("poll", "select") and package.startswith(("built-in", "stdlib selectors")):
            continue  # the loop waiting, not working
        # Own time: the frame's, less its children's; a "[self]" child holds it, an "[await]" child
        # is time spent waiting.
        own[package] += frame.time - sum(child.time for child in frame.children)
        for child in frame.children:
            if child.identifier == SELF_TIME_FRAME_IDENTIFIER:
                own[package] += child.time
            elif not child.is_synthetic:
                stack.append(child)
    return _table(own, requests, "all (sampled by pyinstrument)")


def _table(own: dict[str, float], requests: int, total_label: str, calls: dict[str, float] | None = None) -> str:
    total = sum(own.values())
    lines = [f"{'package':48} {'ms/req':>7} {'share':>6}" + (f" {'calls/req':>10}" if calls else "")]
    for name, seconds in sorted(own.items(), key=lambda item: -item[1])[:20]:
        count = f" {calls[name] / requests:10,.0f}" if calls else ""
        lines.append(f"{name:48} {seconds / requests * 1000:7.2f} {seconds / total:6.1%}{count}")
    lines.append(f"{total_label:48} {total / requests * 1000:7.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    asyncio.run(main())
