"""`python -m bench run --scale S`: every contender, every workload, one table (bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio

from . import data
from .run import run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    go = commands.add_parser("run", help="generate or reuse the database, run every contender, report")
    go.add_argument("--scale", choices=sorted(data.SCALES), default="S")
    go.add_argument("--seconds", type=int, default=8, help="duration of each measured cell (default 8)")
    go.add_argument("--warmup", type=int, default=2, help="warm-up seconds per workload (default 2)")
    go.add_argument("--concurrency", default="1,16", help="comma-separated (default 1,16)")
    go.add_argument("--contenders", help="comma-separated subset, e.g. ventanilla-1w,floor")
    go.add_argument("--workloads", help="comma-separated subset, e.g. W1,W2")
    go.add_argument("--rotation", type=int, default=400, help="customers in the request rotation")
    go.add_argument("--samples", type=int, default=10, help="requests per workload for the statement count")
    go.add_argument("--label", help="suffix of the results file")
    gen = commands.add_parser("generate", help="only generate (or reuse) the database")
    gen.add_argument("--scale", choices=sorted(data.SCALES), default="S")
    args = parser.parse_args()
    if args.command == "generate":
        asyncio.run(data.ensure(args.scale))
        return
    asyncio.run(
        run(
            args.scale,
            seconds=args.seconds,
            warmup=args.warmup,
            concurrencies=tuple(int(n) for n in args.concurrency.split(",")),
            names=tuple(args.contenders.split(",")) if args.contenders else None,
            only=tuple(args.workloads.split(",")) if args.workloads else None,
            rotation=args.rotation,
            samples=args.samples,
            label=args.label,
        )
    )


if __name__ == "__main__":
    main()
