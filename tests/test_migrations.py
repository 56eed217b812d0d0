"""Alembic migrations build the same schema as the models."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

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
