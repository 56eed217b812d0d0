"""`flask users create|promote|delete` for operators."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User

PASSWORD = "a long operator password"


def find(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def test_create_user_with_password_option(app, runner, auth):
    result = runner.invoke(
        args=["users", "create", "alice", "Alice@Example.com", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert "Created user alice <alice@example.com>." in result.output
    alice = find(app, "alice")
    assert alice.email == "alice@example.com"
    assert alice.email_confirmed
    assert not alice.is_admin
    assert auth.login("alice", PASSWORD).status_code == 302


def test_create_user_prompts_for_a_hidden_password(app, runner, auth):
    result = runner.invoke(
        args=["users", "create", "bob", "bob@example.com"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert auth.login("bob", PASSWORD).status_code == 302


def test_create_admin(app, runner):
    result = runner.invoke(
        args=["users", "create", "root_", "root@example.com", "--admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created administrator root_" in result.output
    assert find(app, "root_").is_admin


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "x@example.com", "--password", PASSWORD], "3 to 32 characters"),
        (["bad name", "b@example.com", "--password", PASSWORD], "letters, digits"),
        (["carol", "not-an-address", "--password", PASSWORD], "not a valid email"),
        (["carol", "carol@example.com", "--password", "short"], "8 to 128"),
        (["carol", "carol@example.com", "--password", "password"], "too common"),
        (["JOHN", "other@example.com", "--password", PASSWORD], "username is taken"),
        (["carol", "JOHN@example.com", "--password", PASSWORD], "already has an"),
    ],
)
def test_create_user_refuses_bad_input(app, runner, user, args, message):
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_promote_and_revoke(app, runner, user):
    result = runner.invoke(args=["users", "promote", "John"])
    assert result.exit_code == 0, result.output
    assert "john is now an administrator." in result.output
    assert find(app, "john").is_admin
    result = runner.invoke(args=["users", "promote", "john", "--revoke"])
    assert "john is no longer an administrator." in result.output
    assert not find(app, "john").is_admin


@pytest.mark.parametrize("command", ["promote", "delete"])
def test_unknown_user_is_an_error(runner, command):
    result = runner.invoke(args=["users", command, "nobody"])
    assert result.exit_code == 1
    assert "There is no user called nobody." in result.output


def test_delete_asks_for_confirmation(app, runner, user):
    result = runner.invoke(args=["users", "delete", "john"], input="n\n")
    assert result.exit_code == 1
    assert "Aborted" in result.output
    assert find(app, "john") is not None
    result = runner.invoke(args=["users", "delete", "john"], input="y\n")
    assert result.exit_code == 0, result.output
    assert find(app, "john") is None


def test_delete_with_yes_removes_the_user_and_their_posts(app, runner, user):
    with app.app_context():
        john = db.session.scalar(sa.select(User))
        db.session.add(Post(author=john, body="soon gone"))
        db.session.commit()
    result = runner.invoke(args=["users", "delete", "john", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Deleted john." in result.output
    assert find(app, "john") is None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0
