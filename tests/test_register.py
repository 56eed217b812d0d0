"""Registration: every validation case, duplicates and the race for a name."""

from __future__ import annotations

import statistics
import threading
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.services import accounts
from tests.conftest import csrf_from
from tests.mailbox import link_in, mail_to, outbox

GOOD = "correct horse battery staple"
CHECK_INBOX = b"We sent you an email"


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_register_page_has_the_form(client):
    page = client.get("/auth/register").get_data(as_text=True)
    for name in ("username", "email", "password", "password2", "csrf_token"):
        assert f'name="{name}"' in page


def test_register_creates_account_and_mails_confirmation(client, auth, app):
    response = auth.register("john", "John@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")
    assert CHECK_INBOX in client.get("/auth/login").data
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.username == "john"
        assert user.email == "john@example.com"
        assert user.email_confirmed_at is None
        assert user.check_password(GOOD)
        assert GOOD not in user.password_hash
    (message,) = mail_to(app, "john@example.com")
    assert "/auth/confirm/" in link_in(message)


@pytest.mark.parametrize(
    ("username", "email", "password", "password2", "message"),
    [
        ("", "a@example.com", GOOD, GOOD, "This field is required."),
        ("john", "", GOOD, GOOD, "This field is required."),
        ("john", "a@example.com", "", "", "This field is required."),
        ("john", "a@example.com", GOOD, "", "This field is required."),
        ("john", "a@example.com", GOOD, GOOD + "x", "The passwords do not match."),
        ("john", "not-an-email", GOOD, GOOD, "That is not a valid email address"),
        ("john", "a@b@example.com", GOOD, GOOD, "That is not a valid email address"),
        ("jo", "a@example.com", GOOD, GOOD, "Usernames are 3 to 32 characters"),
        ("j" * 33, "a@example.com", GOOD, GOOD, "Usernames are 3 to 32 characters"),
        ("jo hn", "a@example.com", GOOD, GOOD, "Use only letters, digits"),
        ("jöhn", "a@example.com", GOOD, GOOD, "Use only letters, digits"),
        ("john", "a@example.com", "short", "short", "Passwords are 8 to 128"),
        ("john", "a@example.com", "x" * 129, "x" * 129, "Passwords are 8 to 128"),
        ("john", "a@example.com", "password", "password", "too common"),
        ("john", "a@example.com", "12345678", "12345678", "too common"),
        ("johnsmith", "a@example.com", "JohnSmith", "JohnSmith", "must differ"),
        (
            "john",
            "john.smith@example.com",
            "john.smith@example.com",
            "john.smith@example.com",
            "must differ",
        ),
    ],  # fmt: skip
)
def test_register_rejects_bad_input(
    client, auth, app, username, email, password, password2, message
):
    response = auth.register(username, email, password, password2)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert user_count(app) == 0
    assert outbox(app) == []


def test_password_of_128_characters_is_accepted(auth, app):
    response = auth.register(password="p" * 127 + "!")
    assert response.status_code == 302
    assert user_count(app) == 1


def test_username_taken_in_other_case_is_a_form_error(auth, app, make_user):
    make_user("john")
    response = auth.register("JOHN", "other@example.com")
    assert response.status_code == 200
    assert b"That username is taken" in response.data
    assert user_count(app) == 1


def test_taken_email_looks_like_success_and_mails_the_owner(
    client, auth, app, make_user
):
    make_user("john", email="john@example.com")
    fresh = auth.register("newcomer", "newcomer@example.com")
    taken = auth.register("someone", "JOHN@example.com")
    # Same redirect and flash as a real registration.
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    assert CHECK_INBOX in client.get("/auth/login").data
    with app.app_context():
        assert (
            db.session.scalar(sa.select(User).where(User.username_key == "someone"))
            is None
        )
    (notice,) = mail_to(app, "john@example.com")
    assert "Someone tried to register" in notice.subject
    assert "/auth/reset_password_request" in notice.body


def test_register_needs_csrf_token(client, app):
    response = client.post(
        "/auth/register",
        data={"username": "john", "email": "j@example.com",
              "password": GOOD, "password2": GOOD},
    )  # fmt: skip
    assert response.status_code == 400
    assert user_count(app) == 0


def test_logged_in_user_is_sent_home_from_register(client, auth, user):
    auth.login(user)
    response = client.get("/auth/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_lost_insert_race_becomes_a_form_error(app, monkeypatch, make_user):
    """The check before insert passed, but another request inserted first."""
    make_user("john", email="first@example.com")
    monkeypatch.setattr(accounts, "find_by_username", _none_then_real())
    with app.test_request_context():
        with pytest.raises(accounts.DomainError) as info:
            accounts.register("John", "second@example.com", GOOD)
        assert info.value.field == "username"
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def _none_then_real():
    real = accounts.find_by_username
    calls = {"n": 0}

    def find(username: str):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(username)

    return find


def test_simultaneous_registrations_of_one_name(app):
    """Two browsers register one name at once: one wins, one gets the error."""
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf_from(c.get("/auth/register")) for c in clients]
    barrier = threading.Barrier(2)
    results: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        barrier.wait()
        response = clients[i].post(
            "/auth/register",
            data={"csrf_token": tokens[i], "username": "racer" if i else "RACER",
                  "email": f"racer{i}@example.com",
                  "password": GOOD, "password2": GOOD},
        )  # fmt: skip
        with lock:
            results.append((response.status_code, response.data))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    codes = sorted(code for code, _ in results)
    assert codes == [200, 302]
    loser = next(data for code, data in results if code == 200)
    assert b"That username is taken" in loser
    assert user_count(app) == 1


def _counting_hashes(monkeypatch) -> list[str]:
    """Record every password hash the app computes, wherever it is asked for."""
    import werkzeug.security

    from app import models

    calls: list[str] = []
    real = werkzeug.security.generate_password_hash

    def counted(password: str, *args, **kwargs) -> str:
        calls.append(password)
        return real(password, *args, **kwargs)

    for module in (werkzeug.security, models, accounts):
        monkeypatch.setattr(module, "generate_password_hash", counted)
    return calls


@pytest.mark.parametrize("address", ["fresh@example.com", "JOHN@example.com"])
def test_register_hashes_the_password_for_new_and_taken_addresses(
    auth, make_user, monkeypatch, address
):
    make_user("john", email="john@example.com")
    calls = _counting_hashes(monkeypatch)
    response = auth.register("someone", address, "a new and secret phrase")
    assert response.status_code == 302
    assert calls == ["a new and secret phrase"]


def test_taken_address_takes_as_long_as_a_new_one(make_app, make_user):
    """The register form must not tell a taken address by its speed."""
    app = make_app(PASSWORD_HASH_METHOD="pbkdf2:sha256:200000")
    make_user("john", email="john@example.com")
    client = app.test_client()
    token = csrf_from(client.get("/auth/register"))

    def register(n: int, email: str) -> float:
        data = {"csrf_token": token, "username": f"timer{n}", "email": email,
                "password": GOOD, "password2": GOOD}  # fmt: skip
        started = time.perf_counter()
        response = client.post("/auth/register", data=data)
        elapsed = time.perf_counter() - started
        assert response.status_code == 302
        return elapsed

    register(0, "warmup@example.com")  # first-request costs out of the way
    new, taken = [], []
    for n in range(1, 8):
        new.append(register(n, f"new{n}@example.com"))
        taken.append(register(n + 100, "john@example.com"))
    new_median, taken_median = statistics.median(new), statistics.median(taken)
    # Without the hash a taken address answered in a small fraction of the time.
    assert taken_median >= 0.5 * new_median, (new, taken)
    assert taken_median <= 2 * new_median, (new, taken)
    assert user_count(app) == 1 + 1 + 7
