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


def test_the_migrated_triggers_move_the_content_generation_and_go_away(
    app_env, monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    app = create_app("testing")
    add_user = sa.text(
        "INSERT INTO users (username, username_key, email, password_hash, about_me, "
        "created_at, last_seen, session_version, is_admin) VALUES "
        "(:name, :name, :name || '@example.com', 'x', '', :now, :now, 1, false)"
    )
    now = "2026-01-01 00:00:00.000000"
    with app.app_context():
        upgrade()
        read = sa.text("SELECT value FROM content_generation")
        before = db.session.scalar(read)
        db.session.execute(add_user, {"name": "ann", "now": now})
        db.session.commit()
        assert db.session.scalar(read) == before + 1
        downgrade(revision="6ad64c156dd8")
        # Without the table, a trigger left behind would break every write.
        db.session.execute(add_user, {"name": "bob", "now": now})
        db.session.commit()
        assert "content_generation" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert db.session.scalar(read) == 0


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
