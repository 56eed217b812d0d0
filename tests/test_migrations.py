"""Alembic migrations build the same schema as the models."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db


def test_upgrade_on_empty_database_then_check_is_clean(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    app = create_app("testing")
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {"users", "posts", "follows", "api_tokens", "alembic_version"} <= tables
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_the_login_sessions_migration_keeps_rows_and_stops_id_reuse(
    app_env, monkeypatch, tmp_path
):
    """Rebuilding users for AUTOINCREMENT must not cascade to their posts."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    app = create_app("testing")
    now = "2026-01-01 00:00:00.000000"
    add_user = sa.text(
        "INSERT INTO users (username, username_key, email, password_hash, about_me, "
        "created_at, last_seen, session_version, is_admin) VALUES "
        "(:name, :name, :name || '@example.com', 'x', '', :now, :now, 1, false)"
    )
    add_post = sa.text(
        "INSERT INTO posts (body, created_at, user_id) VALUES ('hi', :now, :uid)"
    )
    with app.app_context():
        upgrade(revision="b7e2c4d91a05")
        for name in ("ann", "bob"):
            db.session.execute(add_user, {"name": name, "now": now})
        db.session.execute(add_post, {"now": now, "uid": 2})
        db.session.commit()
        upgrade()
        users = db.session.execute(sa.text("SELECT id, username FROM users"))
        assert sorted(users) == [(1, "ann"), (2, "bob")]
        assert db.session.scalar(sa.text("SELECT count(*) FROM posts")) == 1
        tables = sa.inspect(db.engine).get_table_names()
        assert "content_generation" not in tables
        assert "login_sessions" in tables
        # bob, the newest, goes; the next account must not get his id.
        db.session.execute(sa.text("DELETE FROM posts"))
        db.session.execute(sa.text("DELETE FROM users WHERE id = 2"))
        db.session.execute(
            sa.text(
                "INSERT INTO users (username, username_key, email, password_hash, "
                "about_me, created_at, last_seen, is_admin) VALUES "
                "('cat', 'cat', 'cat@example.com', 'x', '', :now, :now, false)"
            ),
            {"now": now},
        )
        db.session.commit()
        cat = db.session.scalar(sa.text("SELECT id FROM users WHERE username='cat'"))
        assert cat == 3
        # And back: the downgrade leaves a schema the old code can write to.
        downgrade(revision="b7e2c4d91a05")
        db.session.execute(add_user, {"name": "dan", "now": now})
        db.session.commit()


def test_usernames_are_unique_ignoring_case_in_the_database(app):
    import pytest

    from app.models import User

    with app.app_context():
        db.session.add(User(username="Case", email="a@example.com", password_hash="x"))
        db.session.commit()
        db.session.add(User(username="cASE", email="b@example.com", password_hash="x"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
