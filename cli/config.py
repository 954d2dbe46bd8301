"""`ventanilla check-config` and `ventanilla settings-reference` (docs/operations.md, docs/settings.md).

check-config reads a ventanilla.toml as `serve` would and says what it found, one line each:
unknown sections and keys, values the settings refuse, URLs that are not URLs of their kind,
secrets missing (the secret key, webhook sinks' signing keys, payment providers' keys), and
whether the store, every routed source, Redis, the SMTP server and every event sink answer
within `--timeout` seconds. It exits 1 when it found an error, else 0 (warnings do not fail it).
Nothing is written anywhere and no event or email is sent: a webhook sink is only connected to.

settings-reference writes docs/settings.md from the code of settings.py: every field of Settings
with its `[section] key` (settings._SECTION_KEYS), its environment variable, type, default and
the comments written beside or above it, and the fields of the tables it nests (sinks,
providers, ticket routing). tests/test_check_config.py fails when the page is stale.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import enum
import io
import json
import os
import sys
import tokenize
import tomllib
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr, ValidationError

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
# Sections of ventanilla.toml that are not settings: the connectors' (connectors/routing.py).
CONNECTOR_SECTIONS = ("sources", "routes")
# The least a secret key should be (HMAC-SHA256 of tokens, the mail queue's sealing key).
SECRET_KEY_BYTES = 32


# --- check-config -------------------------------------------------------------------------------


@dataclass
class Findings:
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (level, subject, what)

    def ok(self, subject: str, what: str) -> None:
        self.lines.append(("ok", subject, what))

    def warn(self, subject: str, what: str) -> None:
        self.lines.append(("warning", subject, what))

    def error(self, subject: str, what: str) -> None:
        self.lines.append(("error", subject, what))

    def redacted(self, secrets: list[str]) -> list[tuple[str, str, str]]:
        """The lines with every secret (passwords of URLs, keys) replaced: a driver's message may quote one."""

        def clean(text: str) -> str:
            for secret in secrets:
                text = text.replace(secret, "***")
            return text

        return [(level, subject, clean(what)) for level, subject, what in self.lines]

    @property
    def failed(self) -> bool:
        return any(level == "error" for level, _, _ in self.lines)


def _unknown_keys(data: dict[str, Any], found: Findings) -> None:
    from ..settings import _SECTION_KEYS

    for section, values in data.items():
        if section in CONNECTOR_SECTIONS:
            continue
        if section not in _SECTION_KEYS:
            found.error(f"[{section}]", "unknown section")
            continue
        if not isinstance(values, dict):
            found.error(f"[{section}]", "must be a table of settings")
            continue
        for key in values:
            if key not in _SECTION_KEYS[section]:
                found.error(f"[{section}] {key}", "unknown setting")


def _url(found: Findings, subject: str, url: str | None, schemes: tuple[str, ...]) -> bool:
    """Whether `url` is a URL of one of `schemes` with a host; an error says why not."""
    if url is None:
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as failure:
        found.error(subject, f"not a URL ({failure})")
        return False
    if parts.scheme not in schemes:
        found.error(subject, f"the scheme must be {' or '.join(schemes)}, not {parts.scheme or 'none'!r}")
        return False
    if not parts.hostname and not parts.scheme.startswith("unix"):
        found.error(subject, "the URL names no host")
        return False
    return True


def _database_url(found: Findings, subject: str, url: str) -> bool:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as failure:
        found.error(subject, f"not a database URL SQLAlchemy knows ({failure.__class__.__name__})")
        return False
    if parsed.get_backend_name() != "sqlite" and not parsed.host:
        found.error(subject, "the URL names no host")
        return False
    return True


def _secrets(settings: Any, found: Findings) -> None:
    from ..settings import secret_value

    key = settings.secret_key
    if not key:
        (found.warn if settings.demo else found.error)(
            "[auth] secret_key", "missing (or VENTANILLA_SECRET_KEY)"
        )
    elif len(key.encode()) < SECRET_KEY_BYTES:
        found.error("[auth] secret_key", f"shorter than {SECRET_KEY_BYTES} bytes")
    else:
        found.ok("[auth] secret_key", "set")
    for name, sink in settings.event_sinks.items():
        if sink.kind == "webhook":
            try:
                sink.signing_key()
                found.ok(f"[events.sinks.{name}] secret", "set")
            except ValueError as failure:
                found.error(f"[events.sinks.{name}] secret", str(failure))
    for name, provider in settings.payment_providers.items():
        for secret in sorted(k[: -len("_env")] for k in type(provider).model_fields if k.endswith("_env")):
            subject = f"[payments.providers.{name}] {secret}"
            if secret_value(provider, secret):
                found.ok(subject, "set")
            else:
                variable = getattr(provider, f"{secret}_env", None)
                found.error(
                    subject, f"missing: the variable {variable} is not set" if variable else "missing"
                )


def _why(failure: BaseException) -> str:
    if isinstance(failure, TimeoutError | asyncio.TimeoutError):
        return "no answer in time"
    root: BaseException = failure
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    text = str(root).strip() or root.__class__.__name__
    return text.splitlines()[0][:160]


async def _database(url: str, timeout: float) -> str:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, pool_pre_ping=False)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return engine.dialect.name
    finally:
        await engine.dispose()


async def _store(url: str, timeout: float) -> str:
    from sqlalchemy.ext.asyncio import create_async_engine

    from ..store.schema import current, head

    dialect = await _database(url, timeout)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            revision = await current(conn)
    finally:
        await engine.dispose()
    if revision != head():
        raise _Behind(
            f"{dialect}, at {revision or 'no revision'}: run `ventanilla migrate` (newest {head()})"
        )
    return f"{dialect}, migrations at {revision}"


class _Behind(Exception):
    """The store answers but misses migrations: serve would refuse it."""


async def _redis(url: str, timeout: float) -> str:
    from redis.asyncio import Redis

    redis = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        await redis.ping()
    finally:
        await redis.aclose()
    return "PING answered"


async def _smtp(url: str, timeout: float) -> str:
    import aiosmtplib

    parts = urlsplit(url)
    tls = parts.scheme == "smtps"
    client = aiosmtplib.SMTP(hostname=parts.hostname, port=parts.port or (465 if tls else 25), use_tls=tls,
                             start_tls=False, timeout=timeout)  # fmt: skip
    await client.connect()
    try:
        await client.ehlo()
    finally:
        client.close()
    return "EHLO answered"


async def _tcp(url: str, timeout: float) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    _, writer = await asyncio.open_connection(parts.hostname, port)
    writer.close()
    await writer.wait_closed()
    return f"{parts.hostname}:{port} accepts connections (nothing sent)"


async def _amqp(url: str, timeout: float) -> str:
    import aio_pika

    connection = await aio_pika.connect(url, timeout=timeout)
    await connection.close()
    return "connected"


def _reachability(
    settings: Any, config: Path, found: Findings, timeout: float
) -> list[tuple[str, Callable[[], Awaitable[str]]]]:
    """What to ask, by subject: each URL checked first (a bad one is an error, not asked)."""
    from ..connectors.routing import read_routing
    from ..connectors.sql.mapping import load_connector

    checks: list[tuple[str, Callable[[], Awaitable[str]]]] = []

    def add(subject: str, probe: Callable[[str, float], Awaitable[str]], url: str) -> None:
        checks.append((subject, lambda: probe(url, timeout)))

    if _database_url(found, "[store] url", settings.database_url):
        add("[store] url", _store, settings.database_url)
    specs, routes = read_routing(config)
    for domain, name in routes.items():
        if name != "store" and name not in specs:
            found.error(f"[routes] {domain}", f"names {name!r}: there is no [sources.{name}]")
    for name, spec in specs.items():
        subject = f"[sources.{name}]"
        if not isinstance(spec, dict) or "url" not in spec or "connector" not in spec:
            found.error(subject, "needs `connector` and `url`")
            continue
        if name not in routes.values():
            found.warn(subject, "no [routes] entry names it: it is not used")
            continue
        if spec["connector"] != "native":
            try:
                load_connector(str(spec["connector"]))
            except Exception as failure:  # noqa: BLE001 - a missing file, bad TOML, a bad mapping
                found.error(f"{subject} connector", f"{spec['connector']!r}: {_why(failure)}")
        if _database_url(found, f"{subject} url", spec["url"]):
            add(f"{subject} url", lambda url, t: _database(url, t), spec["url"])
    if _url(found, "[access] redis_url", settings.redis_url, ("redis", "rediss", "unix")):
        add("[access] redis_url", _redis, settings.redis_url)
    if _url(found, "[access] smtp_url", settings.smtp_url, ("smtp", "smtps")):
        add("[access] smtp_url", _smtp, settings.smtp_url)
    elif settings.smtp_url is None:
        found.warn("[access] smtp_url", "not set: emails are printed on the console, not sent")
    for name, sink in settings.event_sinks.items():
        url = sink.url.get_secret_value()
        subject = f"[events.sinks.{name}] url"
        if sink.kind == "webhook" and _url(found, subject, url, ("http", "https")):
            add(subject, _tcp, url)
        elif sink.kind == "amqp" and _url(found, subject, url, ("amqp", "amqps")):
            add(subject, _amqp, url)
    for key in ("public_url", "portal_url"):
        section = "api" if key == "public_url" else "access"
        _url(found, f"[{section}] {key}", getattr(settings, key), ("http", "https"))
    for name, provider in settings.payment_providers.items():
        _url(found, f"[payments.providers.{name}] api_url", provider.api_url, ("http", "https"))
    return checks


async def _ask_all(
    checks: list[tuple[str, Callable[[], Awaitable[str]]]], timeout: float, found: Findings
) -> None:
    async def one(subject: str, probe: Callable[[], Awaitable[str]]) -> None:
        try:
            what = await asyncio.wait_for(probe(), timeout)
        except _Behind as behind:  # a configuration question answered; serve waits for `migrate`
            found.warn(subject, f"answers, but {behind}")
        except Exception as failure:  # noqa: BLE001 - every failure is a finding
            found.error(subject, f"unreachable: {_why(failure)}")
        else:
            found.ok(subject, f"reachable ({what})")

    await asyncio.gather(*(one(subject, probe) for subject, probe in checks))


def check(config: Path, timeout: float) -> Findings:
    """Everything check-config says of `config`."""
    from ..settings import Settings, load_settings

    found = Findings()
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except OSError as failure:
        found.error(str(config), f"cannot be read: {failure.strerror or failure}")
        return found
    except tomllib.TOMLDecodeError as failure:
        found.error(str(config), f"not TOML: {failure}")
        return found
    _unknown_keys(data, found)
    if found.failed:
        return found  # the settings would not load: say the keys first
    try:
        settings: Settings = load_settings(config)
    except (ValidationError, ValueError) as failure:
        problems = (
            [(tuple(e["loc"]), str(e["msg"])) for e in failure.errors()]
            if isinstance(failure, ValidationError)
            else [((), str(failure))]
        )
        for loc, message in problems:
            found.error(".".join(str(part) for part in loc) or str(config), message)
        return found
    found.ok(str(config), "read: every section and key is known")
    _secrets(settings, found)
    checks = _reachability(settings, config, found, timeout)
    asyncio.run(_ask_all(checks, timeout, found))
    return found


def _check_config(args: argparse.Namespace) -> int:
    from ..settings import config_path

    path = config_path(args.config)
    if path is None:
        print("ventanilla check-config: no ventanilla.toml here; name one with --config", file=sys.stderr)
        return 1
    found = check(path, args.timeout)
    width = max((len(subject) for _, subject, _ in found.lines), default=0)
    for level, subject, what in found.redacted(_secrets_of(path)):
        print(f"{level:<7} {subject:<{width}}  {what}")
    errors = sum(level == "error" for level, _, _ in found.lines)
    print(f"{errors} error(s)" if errors else "ok: no errors")
    return 1 if found.failed else 0


def _secrets_of(path: Path) -> list[str]:
    """Every password in a URL of the file and every secret value it or the environment gives."""
    found: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                found.append(password)
            if key.endswith(("secret", "secret_key", "token", "access_token", "api_key", "webhook_secret")):
                found.append(value)
            if key.endswith("_env") and os.environ.get(value):
                found.append(os.environ[value])

    try:
        walk(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    if os.environ.get("VENTANILLA_SECRET_KEY"):
        found.append(os.environ["VENTANILLA_SECRET_KEY"])
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


# --- settings-reference -------------------------------------------------------------------------


def _comments(source: str) -> dict[int, str]:
    """Each line's comment text (without `#`), by line number."""
    found: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string.lstrip("#").strip()
    return found


def _described(source: str, class_name: str) -> dict[str, str]:
    """The description of each annotated field of `class_name` in `source`: the comment lines
    right above it (a `--- ... ---` heading excluded) and the comments on its own lines."""
    tree = ast.parse(source)
    comments = _comments(source)
    lines = source.splitlines()
    described: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        for statement in node.body:
            if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
                continue
            above: list[str] = []
            number = statement.lineno - 1
            while number >= 1 and lines[number - 1].strip().startswith("#"):
                text = comments.get(number, "")
                if text.startswith("---"):
                    break
                above.insert(0, text)
                number -= 1
            beside = [comments[n] for n in range(statement.lineno, (statement.end_lineno or statement.lineno) + 1)
                      if n in comments and not lines[n - 1].strip().startswith("#")]  # fmt: skip
            text = " ".join(part for part in [*above, *beside] if part and part != "fmt: skip")
            described[statement.target.id] = text.replace("# fmt: skip", "").strip()
    return described


def _type_name(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "none"
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type_name(arg) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return " or ".join(json.dumps(arg) for arg in typing.get_args(annotation))
    if origin in (list, tuple, set, frozenset):
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        return f"tables by name of {_type_name(typing.get_args(annotation)[1])}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " | ".join(str(member.value) for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"table ({annotation.__name__})"
    return {str: "string", int: "integer", float: "number", bool: "boolean", Decimal: "decimal",
            SecretStr: "secret string"}.get(annotation, getattr(annotation, "__name__", str(annotation)))  # fmt: skip


def _value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return json.dumps(value.value)
    if isinstance(value, BaseModel):
        return ", ".join(f"{k} = {_value(v)}" for k, v in value.model_dump(exclude_none=True).items()) or "{}"
    if isinstance(value, list | tuple):
        if len(value) > 6 and all(isinstance(v, enum.Enum) for v in value):
            return "every one"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else json.dumps(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "none"
    return json.dumps(value)


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The tables (pydantic models) a field's type nests, each once, in order."""
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    for arg in typing.get_args(annotation):
        for model in _models(arg):
            if model not in found:
                found.append(model)
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_reference() -> str:
    """docs/settings.md, from settings.py as it is now."""
    from .. import settings as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    described = _described(source, "Settings")
    where: dict[str, str] = {}
    for section, keys in module._SECTION_KEYS.items():
        for key, name in keys.items():
            where.setdefault(name, f"[{section}] {key}")
    fields = module.Settings.model_fields
    out = [
        "# Every setting",
        "",
        "<!-- Generated from settings.py by `ventanilla settings-reference`: do not edit by hand;",
        "     tests/test_check_config.py fails when this page is not what the code says. -->",
        "",
        "Each setting is read from `ventanilla.toml` (its `[section] key`) or from its environment",
        "variable, which wins over the file. `ventanilla check-config --config FILE` checks a file",
        "(docs/deployment.md). A setting without a section is read from the environment only.",
        "",
    ]
    by_section: dict[str, list[str]] = {}
    for name in fields:
        key = where.get(name, "")
        section = key.split("]")[0].lstrip("[") if key else "(environment only)"
        by_section.setdefault(section, []).append(name)
    nested: list[type[BaseModel]] = []
    for section in [*module._SECTION_KEYS, "(environment only)"]:
        names = by_section.get(section)
        if not names:
            continue
        out += [f"## {section if section.startswith('(') else f'[{section}]'}", "",
                "| key | environment variable | type | default | what |", "|---|---|---|---|---|"]  # fmt: skip
        for name in names:
            info = fields[name]
            key = where.get(name, "").split("] ", 1)[-1] if name in where else "—"
            default = info.get_default(call_default_factory=True)
            description = described.get(name, "") or (info.description or "")
            out.append(
                f"| `{key}` | `VENTANILLA_{name.upper()}` | {_cell(_type_name(info.annotation))} "
                f"| {_cell(_value(default))} | {_cell(description)} |"
            )
            nested += [m for m in _models(info.annotation) if m not in nested]
        out.append("")
    for model in nested:
        out += [f"## Table `{model.__name__}`", "", _cell(" ".join((model.__doc__ or "").split())), "",
                "| key | type | default | what |", "|---|---|---|---|"]  # fmt: skip
        texts: dict[str, str] = {}
        for base in reversed(model.__mro__):
            if isinstance(base, type) and issubclass(base, BaseModel) and base.__module__ == module.__name__:
                texts |= _described(source, base.__name__)
        for name, info in model.model_fields.items():
            default = (
                "required" if info.is_required() else _value(info.get_default(call_default_factory=True))
            )
            out.append(
                f"| `{name}` | {_cell(_type_name(info.annotation))} | {_cell(default)} | {_cell(texts.get(name, ''))} |"
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _settings_reference(args: argparse.Namespace) -> int:
    text = settings_reference()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def add_config_commands(commands: argparse._SubParsersAction) -> None:
    """Register `check-config` and `settings-reference` on the `ventanilla` command."""
    check_ = commands.add_parser(
        "check-config", help="validate a ventanilla.toml and ask what it names whether it answers"
    )
    check_.add_argument(
        "--config", help="ventanilla.toml (default: VENTANILLA_CONFIG, else ./ventanilla.toml)"
    )
    check_.add_argument(
        "--timeout", type=float, default=3.0, help="seconds each server has to answer (default 3)"
    )
    check_.set_defaults(run=_check_config)
    reference = commands.add_parser(
        "settings-reference", help="write the reference of every setting (docs/settings.md)"
    )
    reference.add_argument(
        "output", nargs="?", default=str(REFERENCE), help="default: docs/settings.md; - for stdout"
    )
    reference.set_defaults(run=_settings_reference)
