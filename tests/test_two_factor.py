"""Two-factor authentication: setup, the login's second step, recovery codes,
turning it off, API tokens, and what an attacker tries (THREATS.md)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import LoginSession, RecoveryCode, User
from app.services import two_factor
from tests.api_helpers import basic
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD

SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
CODE_RE = re.compile(r"<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>")


class Clock:
    """A time the test moves by hand: no sleeping for the next code."""

    def __init__(self) -> None:
        self.now = float(int(time.time()) // 30 * 30 + 5)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 30) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(two_factor, "clock", fake)
    return fake


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret).at(moment)


def logged_in(client) -> bool:
    return "Log out" in client.get("/").get_data(as_text=True)


def enable(auth: AuthActions, clock: Clock) -> tuple[str, list[str]]:
    """Turn 2FA on through the settings page, as a person would."""
    auth.post_form("/settings/2fa", {"action": "start"})
    page = auth.client.get("/settings/2fa").get_data(as_text=True)
    found = SECRET_RE.search(page)
    assert found, "the page shows the secret as text"
    secret = found.group(1).replace(" ", "")
    confirmed = auth.post_form(
        "/settings/2fa", {"action": "confirm", "code": code_at(secret, clock.now)}
    )
    assert confirmed.status_code == 200
    codes = CODE_RE.findall(confirmed.get_data(as_text=True))
    clock.advance()
    return secret, codes


@pytest.fixture
def secured(client, auth, user, clock) -> dict[str, Any]:
    """john with 2FA on, logged out again."""
    auth.login(user)
    secret, codes = enable(auth, clock)
    auth.logout()
    return {"secret": secret, "codes": codes, "user": user}


def second_step(auth: AuthActions, code: str):
    return auth.post_form("/auth/2fa", {"code": code})


def test_turning_it_on_shows_a_qr_code_the_secret_and_codes_once(
    client, auth, user, clock
):
    auth.login(user)
    off = client.get("/settings/2fa").get_data(as_text=True)
    assert "is <strong>off</strong>" in off
    auth.post_form("/settings/2fa", {"action": "start"})
    setup = client.get("/settings/2fa")
    page = setup.get_data(as_text=True)
    # The QR code is drawn in the page: no image from anywhere else.
    assert '<svg viewBox="' in page
    assert 'class="totp-qr"' in page
    assert "otpauth" not in page.split("<svg", 1)[0]
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert "no-store" in setup.headers["Cache-Control"]
    secret = SECRET_RE.search(page).group(1).replace(" ", "")
    confirmed = auth.post_form(
        "/settings/2fa", {"action": "confirm", "code": code_at(secret, clock.now)}
    )
    text = confirmed.get_data(as_text=True)
    codes = CODE_RE.findall(text)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert "shown only this once" in text
    again = client.get("/settings/2fa").get_data(as_text=True)
    assert "is <strong>on</strong>" in again
    assert not CODE_RE.search(again)
    assert "10</strong> unused recovery codes" in again
    # Turning it on kept this session.
    assert logged_in(client)


def test_a_wrong_confirmation_code_leaves_it_off(client, auth, user, clock):
    auth.login(user)
    auth.post_form("/settings/2fa", {"action": "start"})
    refused = auth.post_form("/settings/2fa", {"action": "confirm", "code": "000000"})
    assert str(two_factor.WRONG_CODE) in refused.get_data(as_text=True)
    with client.application.app_context():
        assert not db.session.get(User, user.id).two_factor_enabled


def test_the_secret_is_stored_encrypted(app, client, auth, user, clock, monkeypatch):
    auth.login(user)
    secret, _codes = enable(auth, clock)
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert secret not in stored.totp_secret
        assert two_factor.pending_secret(stored) is None  # on, not pending
        assert two_factor.secret_of(stored) == secret
        stored_codes = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        assert len(stored_codes) == 10
        # Another key cannot read it; the old key as a fallback still can.
        old_key = app.config["SECRET_KEY"]
        app.config["SECRET_KEY"] = "a-new-key"
        assert two_factor.secret_of(stored) is None
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        assert two_factor.secret_of(stored) == secret


def test_login_asks_for_a_code_then_logs_in(client, auth, secured, clock, app):
    response = auth.login(secured["user"], remember=True, next="/explore")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/2fa")
    assert not logged_in(client)
    page = client.get("/auth/2fa").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    done = second_step(auth, code_at(secured["secret"], clock.now))
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/explore")
    assert logged_in(client)
    assert client.get_cookie("remember_token") is not None
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession))
    assert count == 1


def test_the_password_step_alone_grants_nothing(client, auth, secured, app):
    auth.login(secured["user"])
    profile = client.get("/settings/profile")
    assert profile.status_code == 302
    assert "/auth/login" in profile.headers["Location"]
    assert client.get("/api/me").status_code == 401
    assert client.post("/api/tokens").status_code == 401
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession))
    assert count == 0


def test_the_second_step_offers_a_keyboard_for_recovery_codes(client, auth, secured):
    auth.login(secured["user"])
    usual = client.get("/auth/2fa").get_data(as_text=True)
    assert 'inputmode="numeric"' in usual
    assert "with=recovery" in usual
    recovery = client.get("/auth/2fa?with=recovery").get_data(as_text=True)
    assert "Recovery code" in recovery
    assert 'inputmode="text"' in recovery
    done = auth.post_form("/auth/2fa?with=recovery", {"code": secured["codes"][3]})
    assert done.status_code == 302
    assert logged_in(client)


def test_the_second_step_without_a_password_goes_to_login(client, secured):
    response = client.get("/auth/2fa")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_pending_state_expires(client, auth, secured, clock, monkeypatch):
    auth.login(secured["user"])
    from app.web import pending_login

    later = time.time() + pending_login.LIFETIME + 1
    monkeypatch.setattr(pending_login.time, "time", lambda: later)
    response = client.get("/auth/2fa")
    assert "/auth/login" in response.headers["Location"]


def test_a_wrong_code_is_refused_with_a_message(client, auth, secured):
    auth.login(secured["user"])
    refused = second_step(auth, "123456")
    assert refused.status_code == 200
    assert str(two_factor.WRONG_CODE) in refused.get_data(as_text=True)
    assert not logged_in(client)


def test_a_used_code_is_refused_the_second_time(client, auth, secured, clock):
    code = code_at(secured["secret"], clock.now)
    auth.login(secured["user"])
    assert second_step(auth, code).status_code == 302
    auth.logout()
    auth.login(secured["user"])
    replayed = second_step(auth, code)
    assert str(two_factor.WRONG_CODE) in replayed.get_data(as_text=True)
    assert not logged_in(client)
    # So is the code before it, still inside the window.
    earlier = second_step(auth, code_at(secured["secret"], clock.now - 30))
    assert str(two_factor.WRONG_CODE) in earlier.get_data(as_text=True)


def test_a_code_from_90_seconds_ago_is_refused(client, auth, secured, clock):
    auth.login(secured["user"])
    old = second_step(auth, code_at(secured["secret"], clock.now - 90))
    assert str(two_factor.WRONG_CODE) in old.get_data(as_text=True)
    assert not logged_in(client)
    # One step either side of now still counts (clock drift).
    assert second_step(auth, code_at(secured["secret"], clock.now + 30)).status_code
    assert logged_in(client)


def test_a_recovery_code_works_once(client, auth, secured, app):
    code = secured["codes"][0]
    auth.login(secured["user"])
    assert second_step(auth, code.upper()).status_code == 302
    assert logged_in(client)
    auth.logout()
    auth.login(secured["user"])
    again = second_step(auth, code)
    assert str(two_factor.WRONG_CODE) in again.get_data(as_text=True)
    assert not logged_in(client)
    client.get("/")  # nothing else spent
    with app.app_context():
        user = db.session.get(User, secured["user"].id)
        assert two_factor.recovery_codes_left(user) == 9


def twice_at_once(app, user_id: int, use: Callable[[User], bool]) -> list[bool]:
    """``use`` the account on two connections at the same moment; both
    answers, sorted."""
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def run() -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            results.append(use(user))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


def test_one_recovery_code_used_twice_at_once_counts_once(app, secured):
    code = secured["codes"][1]
    results = twice_at_once(
        app, secured["user"].id, lambda user: two_factor.use_recovery_code(user, code)
    )
    assert results == [False, True]


def test_one_totp_code_used_twice_at_once_counts_once(app, secured, clock):
    code = code_at(secured["secret"], clock.now)
    results = twice_at_once(
        app, secured["user"].id, lambda user: two_factor.verify_totp(user, code)
    )
    assert results == [False, True]


def test_the_second_step_is_limited_per_account_across_clients(make_app, clock):
    app = make_app(RATELIMIT_ENABLED="true", RATELIMIT_STORAGE_URI="memory://")
    from tests.factories import UserFactory

    with app.app_context():
        john = UserFactory.create(username="john")
        secret = two_factor.begin_setup(john)
        two_factor.enable(john, code_at(secret, clock.now))
    first = app.test_client()
    first.environ_base["REMOTE_ADDR"] = "10.20.0.1"
    auth = AuthActions(first)
    auth.login("john")
    for _ in range(5):
        assert second_step(auth, "000000").status_code == 200
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.20.0.2"
    other_auth = AuthActions(other)
    assert other_auth.login("john").status_code == 302
    limited = second_step(other_auth, "111111")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers


def test_turning_it_off_needs_the_password_and_a_code(client, auth, user, clock, app):
    auth.login(user)
    secret, _codes = enable(auth, clock)
    good = code_at(secret, clock.now)
    wrong_password = auth.post_form(
        "/settings/2fa",
        {"action": "disable", "password": "not the password", "code": good},
    )
    assert "That password is not correct." in wrong_password.get_data(as_text=True)
    wrong_code = auth.post_form(
        "/settings/2fa",
        {"action": "disable", "password": DEFAULT_PASSWORD, "code": "000000"},
    )
    assert str(two_factor.WRONG_CODE) in wrong_code.get_data(as_text=True)
    no_code = auth.post_form(
        "/settings/2fa", {"action": "disable", "password": DEFAULT_PASSWORD}
    )
    assert "is <strong>on</strong>" in no_code.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).two_factor_enabled
    done = auth.post_form(
        "/settings/2fa",
        {"action": "disable", "password": DEFAULT_PASSWORD, "code": good},
        follow_redirects=True,
    )
    assert "Two-factor authentication is off." in done.get_data(as_text=True)
    assert logged_in(client)
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert not stored.two_factor_enabled
        assert stored.totp_secret is None
        assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
    auth.logout()
    assert auth.login(user).headers["Location"].endswith("/")


def test_new_recovery_codes_replace_the_old_ones(client, auth, user, clock):
    auth.login(user)
    secret, old = enable(auth, clock)
    refused = auth.post_form("/settings/2fa", {"action": "regenerate", "code": "1"})
    assert str(two_factor.WRONG_CODE) in refused.get_data(as_text=True)
    made = auth.post_form(
        "/settings/2fa", {"action": "regenerate", "code": code_at(secret, clock.now)}
    )
    new = CODE_RE.findall(made.get_data(as_text=True))
    assert len(new) == 10
    assert not set(new) & set(old)
    auth.logout()
    auth.login(user)
    assert str(two_factor.WRONG_CODE) in second_step(auth, old[0]).get_data(
        as_text=True
    )
    assert second_step(auth, new[0]).status_code == 302


def test_api_tokens_need_the_otp_header(client, secured, clock):
    missing = client.post("/api/tokens", headers=basic("john"))
    assert missing.status_code == 401
    assert missing.headers["X-Wren-OTP"] == "required"
    assert "X-Wren-OTP" in missing.get_json()["message"]
    wrong = client.post("/api/tokens", headers={**basic("john"), "X-Wren-OTP": "1"})
    assert wrong.status_code == 401
    assert wrong.headers["X-Wren-OTP"] == "required"
    # A wrong password says nothing about codes: the usual answer.
    bad_password = client.post(
        "/api/tokens", headers={**basic("john", "nope"), "X-Wren-OTP": "000000"}
    )
    assert bad_password.status_code == 401
    assert "X-Wren-OTP" not in bad_password.headers
    assert set(bad_password.get_json()) == set(missing.get_json()) == {"message"}
    ok = client.post(
        "/api/tokens",
        headers={**basic("john"), "X-Wren-OTP": code_at(secured["secret"], clock.now)},
    )
    assert ok.status_code == 201
    assert ok.get_json()["token"]
    recovery = client.post(
        "/api/tokens", headers={**basic("john"), "X-Wren-OTP": secured["codes"][2]}
    )
    assert recovery.status_code == 201


def test_accounts_without_2fa_need_no_header(client, user):
    assert client.post("/api/tokens", headers=basic("john")).status_code == 201


def test_the_api_documents_the_header(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/tokens"]["post"]
    names = {p["name"] for p in operation.get("parameters", [])}
    assert "X-Wren-OTP" in names


@pytest.mark.parametrize(
    "data",
    [
        {"action": "start"},
        {"action": "confirm", "code": "123456"},
        {"action": "cancel"},
        {"action": "regenerate", "code": "123456"},
        {"action": "disable", "password": DEFAULT_PASSWORD, "code": "123456"},
    ],
)
def test_settings_forms_need_the_csrf_token(make_app, data):
    app = make_app(WTF_CSRF_ENABLED="true")
    from tests.factories import UserFactory

    with app.app_context():
        UserFactory.create(username="john")
    client = app.test_client()
    AuthActions(client).login("john")
    response = client.post("/settings/2fa", data=data)
    assert response.status_code == 400
    with app.app_context():
        stored = db.session.scalar(sa.select(User))
        assert stored.totp_secret is None
        assert not stored.two_factor_enabled


def test_the_second_step_needs_the_csrf_token(make_app, clock):
    app = make_app(WTF_CSRF_ENABLED="true")
    from tests.factories import UserFactory

    with app.app_context():
        UserFactory.create(username="john")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("john")
    secret, _codes = enable(auth, clock)
    auth.logout()
    auth.login("john")
    forged = client.post("/auth/2fa", data={"code": code_at(secret, clock.now)})
    assert forged.status_code == 400
    assert not logged_in(client)


def test_api_code_guesses_share_the_accounts_2fa_budget(make_app, clock):
    app = make_app(
        RATELIMIT_ENABLED="true",
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_2FA="2/minute",
    )
    from tests.factories import UserFactory

    with app.app_context():
        john = UserFactory.create(username="john")
        secret = two_factor.begin_setup(john)
        two_factor.enable(john, code_at(secret, clock.now))
    statuses = []
    for n in range(3):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.30.0.{n + 1}"
        headers = {**basic("john"), "X-Wren-OTP": "000000"}
        statuses.append(client.post("/api/tokens", headers=headers).status_code)
    assert statuses == [401, 401, 429]


def test_start_from_a_stale_page_while_on_changes_nothing(client, auth, user, clock):
    auth.login(user)
    secret, _codes = enable(auth, clock)
    stale = auth.post_form("/settings/2fa", {"action": "start"}, follow_redirects=True)
    assert "already on" in stale.get_data(as_text=True)
    with client.application.app_context():
        assert two_factor.secret_of(db.session.get(User, user.id)) == secret


def test_starting_and_cancelling_the_setup_spend_no_code_guesses(make_app, clock):
    app = make_app(
        RATELIMIT_ENABLED="true",
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_2FA="2/minute",
    )
    from tests.factories import UserFactory

    with app.app_context():
        UserFactory.create(username="john")
    auth = AuthActions(app.test_client())
    auth.login("john")
    for action in ("start", "cancel", "start", "cancel", "start"):
        response = auth.post_form("/settings/2fa", {"action": action})
        assert response.status_code == 302, action
    # The two code guesses the budget allows are still there, then 429.
    statuses = [
        auth.post_form("/settings/2fa", {"action": "confirm", "code": "000000"})
        for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]
