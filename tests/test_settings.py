"""Settings: environment variables over ventanilla.toml over defaults."""

from __future__ import annotations

import os

import pytest
from ventanilla.settings import Feature, LoginField, load_settings

TOML = """
[store]
url = "sqlite+aiosqlite:///from-file.db"
[portal]
name = "Portal Conexión Sur"
login_field = "TAX_ID"
features = ["STATEMENT", "TICKETS"]
[limits]
max_depth = 8
[sources.erp]
connector = "sap"
"""


def test_file_values_apply_and_environment_wins(tmp_path, monkeypatch):
    # given a config file and one environment variable
    config = tmp_path / "ventanilla.toml"
    config.write_text(TOML, encoding="utf-8")
    monkeypatch.setenv("VENTANILLA_MAX_DEPTH", "6")
    monkeypatch.setenv("VENTANILLA_CONFIG", str(config))
    # when
    settings = load_settings()
    # then
    assert settings.database_url == "sqlite+aiosqlite:///from-file.db"
    assert settings.portal_name == "Portal Conexión Sur"
    assert settings.login_field is LoginField.TAX_ID
    assert settings.features == [Feature.STATEMENT, Feature.TICKETS]
    assert settings.max_depth == 6  # the environment wins over the file
    assert settings.has(Feature.STATEMENT) and not settings.has(Feature.CURRENT_ACCOUNT)


def test_an_unknown_key_in_the_file_is_a_clear_error(tmp_path, monkeypatch):
    config = tmp_path / "ventanilla.toml"
    config.write_text("[portal]\ncolour = 'red'\n", encoding="utf-8")
    monkeypatch.setenv("VENTANILLA_CONFIG", str(config))
    with pytest.raises(ValueError, match=r"unknown setting \[portal\] colour"):
        load_settings()


def test_serving_without_a_secret_key_refuses_to_start(monkeypatch):
    from ventanilla.web.app import create_app

    monkeypatch.setenv("VENTANILLA_CONFIG", "")
    monkeypatch.setenv("VENTANILLA_SECRET_KEY", "")
    with pytest.raises(SystemExit, match="VENTANILLA_SECRET_KEY"):
        create_app(load_settings(database_url="sqlite+aiosqlite:///:memory:"))


def test_the_store_timeout_is_read_from_the_store_section(tmp_path, monkeypatch):
    config = tmp_path / "ventanilla.toml"
    config.write_text("[store]\ntimeout_seconds = 1.5\n", encoding="utf-8")
    monkeypatch.setenv("VENTANILLA_CONFIG", str(config))
    assert load_settings().store_timeout_seconds == 1.5


def test_a_file_given_to_load_settings_is_read_and_not_left_for_later_loads(tmp_path, monkeypatch):
    monkeypatch.delenv("VENTANILLA_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./ventanilla.toml here
    config = tmp_path / "other.toml"
    config.write_text(
        '[portal]\nname = "Portal Conexión Sur"\n\n[routes]\ncustomers = "erp"\n', encoding="utf-8"
    )
    settings = load_settings(config)
    assert settings.portal_name == "Portal Conexión Sur"
    assert settings.config == str(config)  # where the connectors read [sources] and [routes] from
    assert "VENTANILLA_CONFIG" not in os.environ
    assert load_settings().portal_name == "Portal de Clientes"  # a later load reads no file
