"""Account settings: change password, change email, delete the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db_types import utcnow
from app.extensions import db
from app.models import ApiToken, Post, User, follows
from app.services import social
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, PostFactory
from tests.mailbox import link_in, mail_to, outbox

NEW = "a brand new passphrase"


def get_user(app, username: str = "john") -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username_key == username))
        if user is not None:
            db.session.expunge(user)
        return user


def add_api_token(app, user_id: int) -> None:
    with app.app_context():
        db.session.add(
            ApiToken(
                token_hash=f"{user_id:064d}",
                user_id=user_id,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        db.session.commit()


def api_token_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(ApiToken.id)))


@pytest.mark.parametrize(
    "path",
    ["/settings/profile", "/settings/password", "/settings/email", "/settings/delete"],
)
def test_settings_pages_share_a_nav(client, auth, user, path):
    auth.login(user)
    page = client.get(path).get_data(as_text=True)
    assert 'aria-label="Settings"' in page
    for other in ("profile", "password", "email", "delete"):
        assert f'href="/settings/{other}"' in page
    assert f'aria-current="page" href="{path}"' in page


# --- password -------------------------------------------------------------


def change_password(auth, current=DEFAULT_PASSWORD, new=NEW, new2=None):
    return auth.post_form(
        "/settings/password",
        {"current_password": current, "password": new, "password2": new2 or new},
    )


def test_change_password(client, auth, app, user):
    auth.login(user)
    response = change_password(auth)
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/password"
    page = client.get("/settings/password").get_data(as_text=True)
    assert "Your password has been changed" in page
    assert get_user(app).check_password(NEW)
    assert any("password was changed" in m.subject for m in mail_to(app, user.email))


@pytest.mark.parametrize(
    ("current", "new", "new2", "message"),
    [
        ("wrong password!", NEW, NEW, "That password is not correct."),
        (DEFAULT_PASSWORD, "password", "password", "too common"),
        (DEFAULT_PASSWORD, "short", "short", "Passwords are 8 to 128"),
        (DEFAULT_PASSWORD, "John", "John", "Passwords are 8 to 128"),
        (DEFAULT_PASSWORD, "john@example.com", "john@example.com", "must differ"),
        (DEFAULT_PASSWORD, NEW, NEW + "x", "do not match"),
        ("", NEW, NEW, "This field is required."),
    ],
)
def test_change_password_errors(client, auth, app, user, current, new, new2, message):
    auth.login(user)
    response = change_password(auth, current, new, new2)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert get_user(app).check_password(DEFAULT_PASSWORD)


def test_change_password_keeps_this_session_and_ends_others(app, user):
    this, other = app.test_client(), app.test_client()
    this_auth, other_auth = AuthActions(this), AuthActions(other)
    this_auth.login(user, remember=True)
    other_auth.login(user, remember=True)
    stolen = other.get_cookie("remember_token").value
    old_own = this.get_cookie("remember_token").value
    add_api_token(app, user.id)

    change_password(this_auth)

    assert "Log out" in this.get("/").get_data(as_text=True)
    assert this.get("/settings/password").status_code == 200
    assert "Log out" not in other.get("/").get_data(as_text=True)
    # This browser got a fresh remember-me cookie; the old ones are dead.
    assert this.get_cookie("remember_token").value != old_own
    for cookie in (stolen, old_own):
        replay = app.test_client()
        replay.set_cookie("remember_token", cookie)
        assert "Log out" not in replay.get("/").get_data(as_text=True)
    fresh = app.test_client()
    fresh.set_cookie("remember_token", this.get_cookie("remember_token").value)
    assert "Log out" in fresh.get("/").get_data(as_text=True)
    assert api_token_count(app) == 0


def test_change_password_needs_csrf(client, auth, app, user):
    auth.login(user)
    response = client.post(
        "/settings/password",
        data={"current_password": DEFAULT_PASSWORD, "password": NEW, "password2": NEW},
    )
    assert response.status_code == 400
    assert get_user(app).check_password(DEFAULT_PASSWORD)


# --- email ------------------------------------------------------------------


def change_email(auth, email, password=DEFAULT_PASSWORD):
    return auth.post_form("/settings/email", {"email": email, "password": password})


def test_change_email_takes_effect_when_confirmed(client, auth, app, user):
    auth.login(user)
    response = change_email(auth, "John.New@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/email"
    page = client.get("/settings/email").get_data(as_text=True)
    assert "We sent a confirmation link to John.New@Example.com" in page
    assert get_user(app).email == "john@example.com"

    (confirm,) = mail_to(app, "john.new@example.com")
    (notice,) = mail_to(app, "john@example.com")
    assert "john.new@example.com" in notice.body
    link = link_in(confirm)

    response = client.get(link)
    assert response.status_code == 302
    assert "Your email address has been changed" in client.get("/").get_data(
        as_text=True
    )
    changed = get_user(app)
    assert changed.email == "john.new@example.com"
    assert changed.email_confirmed_at is not None
    assert any("was changed" in m.subject for m in mail_to(app, "john@example.com"))

    assert client.get(link).status_code == 400  # single use
    auth.logout()
    assert auth.login("john.new@example.com").status_code == 302


def test_change_email_link_works_logged_out(client, auth, app, user):
    auth.login(user)
    change_email(auth, "new@example.com")
    auth.logout()
    link = link_in(mail_to(app, "new@example.com")[0])
    assert app.test_client().get(link).status_code == 302
    assert get_user(app).email == "new@example.com"


def test_taken_address_answers_like_success_and_changes_nothing(
    client, auth, app, user, make_user
):
    make_user("susan", email="susan@example.com")
    auth.login(user)
    free = change_email(auth, "free@example.com")
    free_page = client.get(free.headers["Location"]).get_data(as_text=True)
    taken = change_email(auth, "susan@example.com")
    taken_page = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert free.status_code == taken.status_code == 302
    assert free.headers["Location"] == taken.headers["Location"]
    assert "We sent a confirmation link to susan@example.com" in taken_page
    assert "We sent a confirmation link to free@example.com" in free_page

    (to_owner,) = mail_to(app, "susan@example.com")
    assert "/auth/confirm/" not in to_owner.body
    assert "Someone tried" in to_owner.subject
    # The current address hears about both requests alike.
    assert len(mail_to(app, "john@example.com")) == 2
    assert get_user(app).email == "john@example.com"
    assert get_user(app, "susan").email == "susan@example.com"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("new@example.com", "wrong password!", "That password is not correct."),
        ("not-an-address", DEFAULT_PASSWORD, "That is not a valid email address"),
        ("JOHN@example.com", DEFAULT_PASSWORD, "That is already your address."),
        ("", DEFAULT_PASSWORD, "This field is required."),
    ],
)
def test_change_email_errors(client, auth, app, user, email, password, message):
    auth.login(user)
    response = change_email(auth, email, password)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert outbox(app) == []


def test_old_confirmation_link_does_not_confirm_a_new_address(
    client, auth, app, make_user
):
    auth.register("john", "old@example.com")
    registration_link = link_in(mail_to(app, "old@example.com")[0])
    auth.login("john")
    change_email(auth, "new@example.com")
    client.get(link_in(mail_to(app, "new@example.com")[0]))
    assert get_user(app).email == "new@example.com"

    response = client.get(registration_link)
    assert response.status_code == 400
    assert get_user(app).email == "new@example.com"


def test_only_the_latest_state_can_use_a_change_link(client, auth, app, user):
    auth.login(user)
    change_email(auth, "first@example.com")
    change_email(auth, "second@example.com")
    first = link_in(mail_to(app, "first@example.com")[0])
    second = link_in(mail_to(app, "second@example.com")[0])
    client.get(second)
    assert client.get(first).status_code == 400
    assert get_user(app).email == "second@example.com"


def test_change_link_refused_if_address_was_taken_meanwhile(
    client, auth, app, user, make_user
):
    auth.login(user)
    change_email(auth, "wanted@example.com")
    link = link_in(mail_to(app, "wanted@example.com")[0])
    make_user("susan", email="wanted@example.com")
    response = client.get(link)
    assert response.status_code == 400
    assert "belongs to another account" in response.get_data(as_text=True)
    assert get_user(app).email == "john@example.com"


# --- delete -----------------------------------------------------------------


def test_delete_account_removes_posts_follows_and_tokens(
    client, auth, app, user, make_user
):
    susan = make_user("susan")
    with app.app_context():
        john = db.session.get(User, user.id)
        other = db.session.get(User, susan.id)
        PostFactory(author=john, body="john's post")
        PostFactory(author=other, body="susan's post")
        social.follow(john, other)
        social.follow(other, john)
    add_api_token(app, user.id)
    add_api_token(app, susan.id)

    auth.login(user)
    assert b"cannot be undone" in client.get("/settings/delete").data
    response = auth.post_form("/settings/delete", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Your account and everything in it have been deleted." in page
    assert "Log out" not in page

    assert get_user(app) is None
    with app.app_context():
        assert db.session.scalars(sa.select(Post.body)).all() == ["susan's post"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(follows)) == 0
        assert db.session.scalar(sa.select(ApiToken.user_id)) == susan.id
    assert auth.login("john").status_code == 200
    assert client.get("/user/john").status_code == 404


def test_delete_account_needs_the_password(client, auth, app, user):
    auth.login(user)
    response = auth.post_form("/settings/delete", {"password": "wrong password!"})
    assert response.status_code == 200
    assert "That password is not correct." in response.get_data(as_text=True)
    assert get_user(app) is not None
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_delete_account_needs_csrf(client, auth, app, user):
    auth.login(user)
    response = client.post("/settings/delete", data={"password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert get_user(app) is not None
