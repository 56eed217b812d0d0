"""Reports, /admin, the append-only audit log and suspension."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User
from app.moderation_models import AuditEntry, AuditLogIsAppendOnly, Report
from app.services import moderation
from tests.api_helpers import bearer, obtain_token
from tests.conftest import AuthActions
from tests.moderation_helpers import (
    account,
    add_post,
    audit_rows,
    post_as,
    reports,
    set_role,
)

# --- reports ------------------------------------------------------------------


def test_a_user_reports_a_post_from_its_card(app, client, auth, make_user):
    make_user("john")
    make_user("spammer")
    post_id = add_post(app, "spammer", "Buy cheap feathers")
    auth.login()
    page = client.get("/explore").get_data(as_text=True)
    assert f'href="/post/{post_id}/report"' in page
    form = client.get(f"/post/{post_id}/report")
    assert form.status_code == 200
    assert "Buy cheap feathers" in form.get_data(as_text=True)
    response = auth.post_form(
        f"/post/{post_id}/report",
        {"reason": "spam", "comment": "Again and again"},
    )
    assert response.status_code == 302
    assert "the moderators will look" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    [report] = reports(app)
    assert (report.post_id, report.reason, report.comment) == (
        post_id,
        "spam",
        "Again and again",
    )
    assert report.user_id == account(app, "spammer").id


def test_the_card_cache_holds_no_report_link(app, client, auth, make_user):
    """The shared card is the same for every reader: the link is outside it."""
    make_user("john")
    make_user("ann")
    post_id = add_post(app, "ann", "Hello")
    anonymous = client.get("/explore").get_data(as_text=True)
    assert f"/post/{post_id}/report" not in anonymous
    auth.login("ann")
    own = client.get("/explore").get_data(as_text=True)
    assert f"/post/{post_id}/report" not in own  # not one's own post


def test_a_user_reports_an_account_from_the_profile(app, client, auth, make_user):
    make_user("john")
    make_user("troll")
    auth.login()
    assert 'href="/user/troll/report"' in client.get("/user/troll").get_data(
        as_text=True
    )
    response = auth.post_form("/user/troll/report", {"reason": "abuse"})
    assert response.status_code == 302
    [report] = reports(app)
    assert report.post_id is None
    assert report.reason == "abuse"


def test_reports_of_nothing_or_oneself_are_refused(app, client, auth, make_user):
    make_user("john")
    own = add_post(app, "john", "mine")
    auth.login()
    assert auth.post_form("/post/999999/report", {"reason": "spam"}).status_code == 404
    assert auth.post_form("/user/nobody/report", {"reason": "spam"}).status_code == 404
    assert auth.post_form(f"/post/{own}/report", {"reason": "spam"}).status_code == 403
    assert auth.post_form("/user/john/report", {"reason": "spam"}).status_code == 403
    assert reports(app) == []


def test_a_report_needs_a_known_reason_and_a_short_comment(app, auth, make_user):
    make_user("john")
    make_user("ann")
    auth.login()
    page = auth.post_form("/user/ann/report", {"reason": "boring"})
    assert page.status_code == 200
    assert "Not a valid choice" in page.get_data(as_text=True)
    page = auth.post_form("/user/ann/report", {"reason": "spam", "comment": "x" * 1001})
    assert page.status_code == 200
    assert reports(app) == []


def test_reports_are_rate_limited_per_account(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED="true", REPORT_RATE_LIMIT="2 per hour")
    make_user("john")
    make_user("ann")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login()
    codes = [
        auth.post_form("/user/ann/report", {"reason": "spam"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]
    assert len(reports(app)) == 2


def test_api_report(app, client, make_user):
    make_user("john")
    make_user("ann")
    post_id = add_post(app, "ann", "hi")
    token = obtain_token(client, "john")
    answer = client.post(
        "/api/reports",
        json={"post_id": post_id, "reason": "illegal", "comment": "see it"},
        headers=bearer(token),
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["post_id"] == post_id
    ann = account(app, "ann")
    answer = client.post(
        "/api/reports",
        json={"user_id": ann.id, "reason": "spam"},
        headers=bearer(token),
    )
    assert answer.status_code == 201
    assert answer.get_json()["user_id"] == ann.id
    for body, status in [
        ({"post_id": 999999, "reason": "spam"}, 404),
        ({"user_id": 999999, "reason": "spam"}, 404),
        ({"user_id": account(app, "john").id, "reason": "spam"}, 422),
        ({"reason": "spam"}, 422),
        ({"post_id": post_id, "user_id": ann.id, "reason": "spam"}, 422),
        ({"post_id": post_id, "reason": "meh"}, 422),
    ]:
        answer = client.post("/api/reports", json=body, headers=bearer(token))
        assert answer.status_code == status, body
    assert len(reports(app)) == 2


# --- /admin: only moderators, and nothing changes otherwise ------------------


@pytest.fixture
def scene(app, make_user):
    """A moderator, a reporter, an author with a reported post, a pending user."""
    make_user("mod")
    set_role(app, "mod", "moderator")
    make_user("john")
    make_user("author")
    make_user("newbie")
    with app.app_context():
        newbie = db.session.scalar(sa.select(User).where(User.username == "newbie"))
        newbie.pending = True
        db.session.commit()
    post_id = add_post(app, "author", "Reported post")
    with app.app_context():
        reporter = db.session.scalar(sa.select(User).where(User.username == "john"))
        report = moderation.report_post(reporter, post_id, "spam", "look")
        return {"post_id": post_id, "report_id": report.id}


def admin_posts(scene: dict[str, int]) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/admin/reports/{scene['report_id']}/resolve", {"action": "delete_post"}),
        (f"/admin/reports/{scene['report_id']}/resolve", {"action": "suspend_user"}),
        ("/admin/users/author/suspend", {"reason": "x"}),
        ("/admin/users/author/unsuspend", {}),
        ("/admin/users/newbie/approve", {}),
    ]


def snapshot(app):
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Post)),
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
            db.session.execute(
                sa.select(User.username, User.suspended_at, User.pending).order_by(
                    User.id
                )
            ).all(),
            db.session.execute(sa.select(Report.id, Report.resolved_at)).all(),
        )


def test_users_posting_to_every_admin_url_get_403_and_nothing_changes(
    app, client, auth, scene
):
    before = snapshot(app)
    auth.login("john")
    for url, data in admin_posts(scene):
        response = post_as(auth, url, data)
        assert response.status_code == 403, url
    assert snapshot(app) == before


def test_anonymous_posts_to_admin_urls_change_nothing(app, client, auth, scene):
    before = snapshot(app)
    for url, data in admin_posts(scene):
        token = auth.csrf_token("/auth/login")
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"]
    assert snapshot(app) == before


def test_every_new_form_needs_its_csrf_token(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED="true")
    make_user("mod")
    set_role(app, "mod", "moderator")
    make_user("ann")
    post_id = add_post(app, "ann", "hi")
    client = app.test_client()
    AuthActions(client).login("mod")
    before = snapshot(app)
    for url, data in [
        (f"/post/{post_id}/report", {"reason": "spam"}),
        ("/user/ann/report", {"reason": "spam"}),
        ("/admin/reports/1/resolve", {"action": "dismiss"}),
        ("/admin/users/ann/suspend", {"reason": "x"}),
        ("/admin/users/ann/unsuspend", {}),
        ("/admin/users/ann/approve", {}),
        ("/settings/invites", {"max_uses": "1"}),
        ("/settings/invites/1/revoke", {}),
    ]:
        assert client.post(url, data=data).status_code == 400, url
    assert snapshot(app) == before
    assert reports(app) == []


def test_dashboard_lists_open_reports_and_recent_actions(app, client, auth, scene):
    auth.login("mod")
    page = client.get("/admin").get_data(as_text=True)
    assert "Reported post" in page
    assert "1</span> open report" in page
    assert "1</span> waiting for approval" in page
    users = client.get("/admin/users?pending=1").get_data(as_text=True)
    assert "newbie" in users
    assert "author" not in users
    found = client.get("/admin/users?q=AUT").get_data(as_text=True)
    assert "author" in found
    assert "newbie" not in found


def test_resolving_with_delete_post(app, client, auth, scene):
    auth.login("mod")
    response = post_as(
        auth,
        f"/admin/reports/{scene['report_id']}/resolve",
        {"action": "delete_post", "note": "spam link"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Post, scene["post_id"]) is None
    [report] = reports(app)
    assert report.action == "delete_post"
    assert report.resolved_at is not None
    assert audit_rows(app) == [
        (
            "mod",
            "report_delete_post",
            f"#{scene['report_id']} about author",
            "spam link",
        )
    ]
    # Resolving it again changes nothing and logs nothing.
    again = post_as(
        auth, f"/admin/reports/{scene['report_id']}/resolve", {"action": "dismiss"}
    )
    assert again.status_code == 404
    assert len(audit_rows(app)) == 1
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "report_delete_post" in audit
    assert "spam link" in audit


def test_resolving_with_suspend_user_and_dismiss(app, client, auth, scene, make_user):
    auth.login("mod")
    post_as(
        auth,
        f"/admin/reports/{scene['report_id']}/resolve",
        {"action": "suspend_user", "note": "bot"},
    )
    assert account(app, "author").is_suspended
    assert account(app, "author").suspension_reason == "bot"
    with app.app_context():
        john = db.session.scalar(sa.select(User).where(User.username == "john"))
        author = db.session.scalar(sa.select(User).where(User.username == "author"))
        second = moderation.report_user(john, author, "other").id
    post_as(auth, f"/admin/reports/{second}/resolve", {"action": "dismiss"})
    assert [r.action for r in reports(app)] == ["suspend_user", "dismiss"]
    assert [row[1] for row in audit_rows(app)] == [
        "report_suspend_user",
        "report_dismiss",
    ]


def test_approving_twice_logs_once(app, client, auth, scene):
    auth.login("mod")
    assert post_as(auth, "/admin/users/newbie/approve").status_code == 302
    assert post_as(auth, "/admin/users/newbie/approve").status_code == 302
    assert not account(app, "newbie").pending
    assert audit_rows(app) == [("mod", "approve", "newbie", "")]


def test_approving_twice_at_the_same_moment_makes_one_entry(make_app, make_user):
    """Two nodes (two apps, two connections) approve together: one wins."""
    node_a = make_app()
    node_b = make_app()
    make_user("mod")
    set_role(node_a, "mod", "moderator")
    for round_ in range(5):
        name = f"new{round_}"
        make_user(name)
        with node_a.app_context():
            db.session.execute(
                sa.update(User).where(User.username == name).values(pending=True)
            )
            db.session.commit()
        barrier = threading.Barrier(2)
        results: list[object] = []

        def approve(node, name=name, barrier=barrier, results=results) -> None:
            with node.app_context():
                mod = db.session.scalar(sa.select(User).where(User.username == "mod"))
                target = db.session.scalar(sa.select(User).where(User.username == name))
                barrier.wait()
                try:
                    results.append(moderation.approve(mod, target))
                except Exception as exc:  # noqa: BLE001 (the test reports it)
                    results.append(exc)

        threads = [
            threading.Thread(target=approve, args=(n,)) for n in (node_a, node_b)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results, key=str) == [False, True], results
        assert [row for row in audit_rows(node_a) if row[2] == name] == [
            ("mod", "approve", name, "")
        ]


# --- the audit log is append-only ---------------------------------------------


def _one_entry(app) -> int:
    with app.app_context():
        entry = AuditEntry(
            actor_name="mod", action="suspend", target_kind="user", target_id=1
        )
        db.session.add(entry)
        db.session.commit()
        return entry.id


def test_the_audit_log_refuses_update_and_delete_through_sql(app):
    entry_id = _one_entry(app)
    with app.app_context():
        for statement in (
            sa.text("UPDATE audit_log SET note = 'rewritten' WHERE id = :id"),
            sa.text("DELETE FROM audit_log WHERE id = :id"),
        ):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(statement, {"id": entry_id})
            db.session.rollback()
        assert db.session.get(AuditEntry, entry_id).note == ""


def test_the_audit_log_refuses_update_and_delete_through_the_orm(app):
    entry_id = _one_entry(app)
    with app.app_context():
        entry = db.session.get(AuditEntry, entry_id)
        entry.note = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        entry = db.session.get(AuditEntry, entry_id)
        db.session.delete(entry)
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        # Bulk statements through the ORM hit the database's triggers.
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.delete(AuditEntry))
        db.session.rollback()
        assert db.session.get(AuditEntry, entry_id).note == ""


def test_the_audit_log_outlives_the_accounts_it_names(app, client, auth, scene):
    auth.login("mod")
    post_as(auth, "/admin/users/author/suspend", {"reason": "gone"})
    with app.app_context():
        for name in ("mod", "author"):
            user = db.session.scalar(sa.select(User).where(User.username == name))
            db.session.delete(user)
        db.session.commit()
    assert audit_rows(app) == [("mod", "suspend", "author", "gone")]


def test_no_code_path_changes_or_removes_audit_entries():
    """Only inserts: no module of the app updates or deletes audit_log."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "app"
    for path in root.rglob("*.py"):
        text = path.read_text()
        for forbidden in ("update(AuditEntry", "delete(AuditEntry", "UPDATE audit_log"):
            assert forbidden not in text, (path, forbidden)
