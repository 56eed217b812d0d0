"""The factory and the configuration classes."""

from __future__ import annotations

import pytest

from app import create_app
from config import ConfigError, ProductionConfig, normalise_database_url


def test_testing_config(app):
    assert app.config["TESTING"] is True
    assert app.config["WREN_CONFIG"] == "testing"
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


@pytest.mark.parametrize("value", [None, "", "   "])
def test_production_refuses_to_start_without_secret_key(app_env, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", value)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app("production")


def test_production_config_is_hardened(app_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("PUBLIC_URL", "https://wren.example.org")
    config = ProductionConfig()
    assert config.SESSION_COOKIE_SECURE is True
    assert config.REMEMBER_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE == "Lax"


def test_development_keeps_a_generated_key_in_instance(app_env, monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY")
    first = create_app("development")
    second = create_app("development")
    key = first.config["SECRET_KEY"]
    assert len(key) == 64
    assert second.config["SECRET_KEY"] == key
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text() == key
    assert key_file.stat().st_mode & 0o077 == 0


def test_unknown_config_name_is_refused(app_env):
    with pytest.raises(ConfigError, match="WREN_CONFIG"):
        create_app("staging")


@pytest.mark.parametrize(
    ("name", "value"), [("RATELIMIT_ENABLED", "maybe"), ("POSTS_PER_PAGE", "ten")]
)
def test_bad_environment_values_fail_clearly(app_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        create_app("testing")


def test_boolean_false_strings_are_false(make_app):
    app = make_app(RATELIMIT_ENABLED="false", SESSION_COOKIE_SECURE="0")
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://h/db", "postgresql+psycopg://h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_use_psycopg3(url, expected):
    assert normalise_database_url(url) == expected


def test_posts_per_page_from_environment(make_app):
    assert make_app(POSTS_PER_PAGE="7").config["POSTS_PER_PAGE"] == 7


def test_run_module_builds_the_app(app_env):
    import importlib

    import run

    importlib.reload(run)
    assert run.app.name == "app"
    assert "main.index" in run.app.view_functions


def test_jobs_run_at_once_in_development_and_queue_in_production(app_env, monkeypatch):
    # `make run` starts no worker: its mail must not wait in a queue.
    development = create_app("development")
    assert development.extensions["jobs"].huey.immediate is True
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("PUBLIC_URL", "https://wren.example.org")
    production = create_app("production")
    assert production.extensions["jobs"].huey.immediate is False
    monkeypatch.setenv("JOBS_IMMEDIATE", "false")
    assert create_app("development").extensions["jobs"].huey.immediate is False
