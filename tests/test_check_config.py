"""`ventanilla check-config` on good and bad files (real PostgreSQL, Redis, SMTP, RabbitMQ and a
webhook server of the test's own), and docs/settings.md as `ventanilla settings-reference` writes it."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.cli.config import REFERENCE, settings_reference
from ventanilla.store.schema import migrate

from .conftest import TEST_SECRET, fresh_database
from .event_receivers import webhook_receiver

REDIS = "redis://127.0.0.1:6379/0"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def check_config(path: Path, *extra: str, **env: str) -> tuple[int, list[str]]:
    """Run `ventanilla check-config --config PATH` as an operator would; exit code and lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ventanilla", "check-config", "--config", str(path), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")} | env,
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode, out.decode().splitlines()


def _line(lines: list[str], level: str, subject: str) -> str:
    found = [line for line in lines if line.split()[:1] == [level] and subject in line]
    assert found, f"no {level} line about {subject}:\n" + "\n".join(lines)
    return found[0]


async def test_a_good_file_is_found_good_and_everything_it_names_answers(tmp_path, smtp_inbox) -> None:
    async with fresh_database("postgresql", tmp_path) as url, webhook_receiver() as hook:
        engine = create_async_engine(url)
        await migrate(engine)
        await engine.dispose()
        config = tmp_path / "ventanilla.toml"
        config.write_text(
            f"""
[store]
url = "{url}"
pool_size = 5
[auth]
secret_key = "{TEST_SECRET}"
[access]
redis_url = "{REDIS}"
smtp_url = "{smtp_inbox.url}"
portal_url = "https://portal.example.com"
[sources.erp]
connector = "native"
url = "{url}"
[routes]
customers = "erp"
[events.sinks.crm]
kind = "webhook"
url = "{hook.url}"
secret_env = "CRM_HOOK_SECRET"
[events.sinks.bus]
kind = "amqp"
url = "{AMQP}"
[payments.providers.stripe]
kind = "stripe"
display_name = "Tarjeta"
api_key_env = "STRIPE_KEY"
webhook_secret_env = "STRIPE_WEBHOOK"
""",
            encoding="utf-8",
        )
        code, lines = await check_config(
            config, CRM_HOOK_SECRET="hook-secret", STRIPE_KEY="sk_test_1", STRIPE_WEBHOOK="whsec_1"
        )
        # then it exits 0 and says what it found good
        assert code == 0, "\n".join(lines)
        assert "reachable" in _line(lines, "ok", "[store] url") and "migrations at" in _line(
            lines, "ok", "[store] url"
        )
        for subject in ("[sources.erp] url", "[access] redis_url", "[access] smtp_url",
                        "[events.sinks.crm] url", "[events.sinks.bus] url"):  # fmt: skip
            assert "reachable" in _line(lines, "ok", subject)
        for subject in ("[auth] secret_key", "[events.sinks.crm] secret", "[payments.providers.stripe] api_key",
                        "[payments.providers.stripe] webhook_secret"):  # fmt: skip
            _line(lines, "ok", subject)
        assert lines[-1] == "ok: no errors"
        # and nothing was sent to the webhook, no secret printed
        assert hook.hits == []
        assert not any(
            secret in "\n".join(lines) for secret in (TEST_SECRET, "hook-secret", "sk_test_1", "whsec_1")
        )


async def test_a_bad_file_names_each_problem_and_exits_non_zero_quickly(tmp_path) -> None:
    closed = _closed_port()
    config = tmp_path / "ventanilla.toml"
    config.write_text(
        f"""
[store]
url = "postgresql+asyncpg://postgres:s3cr3t-pass@127.0.0.1:{closed}/nothing"
[access]
redis_url = "redis://127.0.0.1:{closed}/0"
smtp_url = "smtp://127.0.0.1:{closed}"
portal_url = "ftp://portal.example.com"
[sources.erp]
connector = "sap"
url = "not a database url"
[sources.helpdesk]
connector = "no-such-mapping.toml"
url = "sqlite+aiosqlite:///helpdesk.db"
[routes]
customers = "erp"
invoices = "billing"
tickets = "helpdesk"
[events.sinks.crm]
kind = "webhook"
url = "http://127.0.0.1:{closed}/hooks"
secret_env = "UNSET_HOOK_SECRET"
[payments.providers.mp]
kind = "mercadopago"
display_name = "Mercado Pago"
access_token_env = "UNSET_MP_TOKEN"
""",
        encoding="utf-8",
    )
    started = time.monotonic()
    code, lines = await check_config(config, "--timeout", "2")
    assert code == 1, "\n".join(lines)
    assert time.monotonic() - started < 20  # every server asked at once, each within the timeout
    assert "missing" in _line(lines, "error", "[auth] secret_key")
    for subject in ("[store] url", "[access] redis_url", "[access] smtp_url", "[events.sinks.crm] url"):
        assert "unreachable" in _line(lines, "error", subject)
    assert "scheme" in _line(lines, "error", "[access] portal_url")
    assert "database URL" in _line(lines, "error", "[sources.erp] url")
    assert "no [sources.billing]" in _line(lines, "error", "[routes] invoices")
    assert "no-such-mapping.toml" in _line(lines, "error", "[sources.helpdesk] connector")
    assert "UNSET_HOOK_SECRET" in _line(lines, "error", "[events.sinks.crm] secret")
    assert "UNSET_MP_TOKEN" in _line(lines, "error", "[payments.providers.mp] access_token")
    assert _line(lines, "error", "[payments.providers.mp] webhook_secret")
    assert lines[-1].endswith("error(s)")
    assert "s3cr3t-pass" not in "\n".join(lines)  # a password of a URL is never printed


async def test_unknown_keys_and_bad_values_are_errors_and_a_store_behind_is_a_warning(tmp_path) -> None:
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(
        '[api]\npublik_url = "https://x.example.com"\n[metrix]\nenabled = true\n', encoding="utf-8"
    )
    code, lines = await check_config(unknown)
    assert code == 1
    assert "unknown setting" in _line(lines, "error", "[api] publik_url")
    assert "unknown section" in _line(lines, "error", "[metrix]")

    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[limits]\nmax_depth = "deep"\n[logging]\nformat = "xml"\n', encoding="utf-8")
    code, lines = await check_config(wrong)
    assert code == 1
    assert _line(lines, "error", "max_depth") and _line(lines, "error", "log_format")

    broken = tmp_path / "broken.toml"
    broken.write_text("[store\nurl = 1\n", encoding="utf-8")
    code, lines = await check_config(broken)
    assert code == 1 and "not TOML" in _line(lines, "error", str(broken))

    async with fresh_database("postgresql", tmp_path) as url:
        behind = tmp_path / "behind.toml"
        behind.write_text(f'[store]\nurl = "{url}"\n[auth]\nsecret_key = "{TEST_SECRET}"\n', encoding="utf-8")
        code, lines = await check_config(behind)
    # a store behind its migrations is a warning (serve refuses it, naming the command), not an error
    assert code == 0 and "ventanilla migrate" in _line(lines, "warning", "[store] url")


def test_the_settings_reference_is_what_the_settings_code_says() -> None:
    # docs/settings.md is generated: regenerate it with `ventanilla settings-reference`
    assert REFERENCE.read_text(encoding="utf-8") == settings_reference(), (
        "docs/settings.md is stale: run `ventanilla settings-reference`"
    )


def test_the_settings_reference_has_every_setting_with_its_key_variable_default_and_comment() -> None:
    from ventanilla.settings import Settings

    page = settings_reference()
    for name in Settings.model_fields:
        assert f"`VENTANILLA_{name.upper()}`" in page, name
    pool = next(line for line in page.splitlines() if "`VENTANILLA_POOL_SIZE`" in line)
    assert pool.startswith("| `pool_size` |") and "| 10 |" in pool and "Connections each pool" in pool
    assert "## [store]" in page and "## Table `WebhookSink`" in page
