"""`ventanilla features [list|on X|off X]`: the feature switches of a deployment (FEATURES.md F1).

The switch is stored in the store, as the admin mutation `setFeature` stores it: every running
instance refuses (or serves) the feature from its next request. Audited as SET_FEATURE by "cli".
"""

from __future__ import annotations

import argparse
import asyncio

from .access import CLI_ACTOR


def _features(args: argparse.Namespace) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    from ..rules.features import in_force
    from ..settings import Feature, load_settings
    from ..store.access import audit
    from ..store.features import read_switches, set_switch
    from ..store.schema import migrate

    settings = load_settings(args.config, **({"database_url": args.db} if args.db else {}))
    feature: Feature | None = None
    if args.action in ("on", "off"):
        if args.feature is None or args.feature.upper() not in Feature.__members__:
            names = ", ".join(Feature.__members__)
            print(f"Indicá una función / name a feature: {names}")
            return 2
        feature = Feature[args.feature.upper()]

    async def run() -> int:
        engine = create_async_engine(settings.database_url)
        try:
            await migrate(engine)
            async with engine.begin() as conn:
                if feature is not None:
                    enabled = args.action == "on"
                    await set_switch(conn, feature.value, enabled, CLI_ACTOR)
                    await audit(conn, "SET_FEATURE", "OK", actor=CLI_ACTOR, object_id=feature.value,
                                detail="on" if enabled else "off")  # fmt: skip
                switches = await read_switches(conn)
        finally:
            await engine.dispose()
        on = in_force(settings.features, switches)
        for each in Feature:
            state = "on " if each in on else "off"
            origin = "store" if each.value in switches else "ventanilla.toml"
            print(f"{each.value:<22} {state}  ({origin})")
        return 0

    return asyncio.run(run())


def add_features_command(commands: argparse._SubParsersAction) -> None:
    features = commands.add_parser(
        "features", help="list the feature switches, or switch one on or off on every instance at once"
    )
    features.add_argument("action", nargs="?", choices=["list", "on", "off"], default="list")
    features.add_argument("feature", nargs="?", help="the feature, e.g. TICKET_CREATION")
    features.add_argument("--config", help="ventanilla.toml (default: ./ventanilla.toml if present)")
    features.add_argument("--db", help="the store's URL, instead of the configuration's [store] url")
    features.set_defaults(run=_features)
