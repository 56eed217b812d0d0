"""Data export: /settings/export, the zip's contents, limits, expiry, mail."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.db_types import utcnow
from app.export_models import Export
from app.extensions import db
from app.media_models import Media
from app.models import Notification, User
from app.services import (
    DomainError,
    export_archive,
    exports,
    likes,
    media,
    messages,
    operators,
    posts,
    social,
)
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD
from tests.mailbox import html_body, mail_to
from tests.media_helpers import image_bytes

PAGE = "/settings/export"


def start_export(auth: AuthActions) -> Any:
    return auth.post_form(PAGE, {}, follow_redirects=True)


def only_export(app: Flask, username: str = "alice") -> Export:
    with app.app_context():
        export = db.session.scalar(
            sa.select(Export).join(User).where(User.username == username)
        )
        assert export is not None
        db.session.expunge(export)
        return export


def download_url(export: Export) -> str:
    return f"{PAGE}/{export.public_id}/download"


def load(name: str, app: Flask) -> User:
    """The user ``name`` in the current app context's session."""
    user = db.session.scalar(sa.select(User).where(User.username == name))
    assert user is not None
    return user


@pytest.fixture
def alice(make_user) -> User:
    return make_user("alice", about_me="Birds ✨ and <b>bold</b>", language="en")


@pytest.fixture
def world(app: Flask, alice: User, make_user) -> dict[str, int]:
    """Alice's posts (one edited, one reply), follows, likes and messages."""
    make_user("bob")
    make_user("carol")
    with app.app_context():
        a, b, c = (load(n, app) for n in ("alice", "bob", "carol"))
        bobs = posts.publish(b, "Bob's post")
        first = posts.publish(a, "Hello #Wren, hi @bob")
        posts.edit(first, a, "Hello #Wren and #birds, hi @bob and @carol")
        reply = posts.publish(a, "A reply ünïcode", in_reply_to=bobs.id)
        social.follow(a, b)
        social.follow(c, a)
        likes.like(a, bobs.id)
        likes.like(b, first.id)
        messages.send(a, b, "to bob")
        messages.send(b, a, "to alice")
        messages.send(c, a, "carol here")
        messages.send(b, c, "not alice's business")
        return {"bobs": bobs.id, "first": first.id, "reply": reply.id}


def test_the_zip_holds_alices_data(
    app: Flask, client: FlaskClient, auth: AuthActions, world: dict[str, int]
) -> None:
    auth.login("alice")
    page = start_export(auth)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Your export has started" in text
    assert "Download zip" in text
    export = only_export(app)
    assert export.status == "ready"
    assert export.done == export.total > 0
    assert export.expires_at is not None
    assert export.expires_at - export.finished_at == timedelta(days=7)  # type: ignore[operator]

    with client.get(download_url(export)) as response:
        body = response.data
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    day = export.created_at.strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="wren-export-alice-{day}.zip"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    archive = zipfile.ZipFile(io.BytesIO(body))
    assert set(archive.namelist()) >= {
        "README.txt",
        "profile.json",
        "posts.json",
        "following.json",
        "followers.json",
        "likes.json",
        "messages.json",
    }
    assert "posts.json" in archive.read("README.txt").decode()
    data = {
        name.removesuffix(".json"): json.loads(archive.read(name).decode("utf-8"))
        for name in archive.namelist()
        if name.endswith(".json")
    }
    profile = data["profile"]
    assert profile["username"] == "alice"
    assert profile["email"] == "alice@example.com"
    assert profile["about"] == "Birds ✨ and <b>bold</b>"
    assert profile["language"] == "en"
    assert profile["created_at"].endswith("Z")
    assert profile["avatar"] is None

    first, reply = data["posts"]
    assert first["id"] == world["first"]
    assert first["body"] == "Hello #Wren and #birds, hi @bob and @carol"
    assert first["tags"] == ["birds", "wren"]
    assert first["mentions"] == ["bob", "carol"]
    assert first["like_count"] == 1
    assert first["edited_at"] is not None
    assert [v["body"] for v in first["history"]] == ["Hello #Wren, hi @bob"]
    assert first["history"][0]["replaced_at"].endswith("Z")
    assert first["media"] == []
    assert reply["body"] == "A reply ünïcode"
    assert reply["in_reply_to"] == world["bobs"]
    assert reply["edited_at"] is None
    assert reply["history"] == []

    assert [p["username"] for p in data["following"]] == ["bob"]
    assert [p["username"] for p in data["followers"]] == ["carol"]
    (liked,) = data["likes"]
    assert liked["post"]["id"] == world["bobs"]
    assert liked["post"]["author"] == "bob"
    assert liked["post"]["body"] == "Bob's post"
    sent = [(m["from"], m["to"], m["body"]) for m in data["messages"]]
    assert sorted(sent) == [
        ("alice", "bob", "to bob"),
        ("bob", "alice", "to alice"),
        ("carol", "alice", "carol here"),
    ]
    for message in data["messages"]:
        assert message["with"] in {"bob", "carol"}
        assert message["created_at"].endswith("Z")


def test_the_zip_holds_the_pictures_byte_for_byte(
    app: Flask, client: FlaskClient, auth: AuthActions, alice: User, make_user
) -> None:
    make_user("bob")
    with app.app_context():
        a = load("alice", app)
        uploads = [
            media.accept(image_bytes("PNG", colour="navy"), "A wren on a gate", "x"),
            media.accept(image_bytes("JPEG", colour="tomato"), "", "x"),
        ]
        post = posts.publish(a, "Two pictures", uploads=uploads)
        post_id = post.id
        media.set_avatar(a, io.BytesIO(image_bytes("PNG", (120, 120))))
        # Bob's picture is not Alice's to export.
        posts.publish(
            load("bob", app),
            "Bob's picture",
            uploads=[media.accept(image_bytes("WEBP"), "bob", "x")],
        )
        rows = db.session.scalars(
            sa.select(Media).where(Media.post_id == post_id).order_by(Media.position)
        ).all()
        stored = {row.position: media.path_for(row.name).read_bytes() for row in rows}
        names = [row.name for row in rows]
        avatar = media.path_for(load("alice", app).avatar or "").read_bytes()
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    with client.get(download_url(export)) as response:
        archive = zipfile.ZipFile(io.BytesIO(response.data))
    (written,) = json.loads(archive.read("posts.json"))
    assert written["media"] == [
        {
            "file": f"media/{post_id}-1.png",
            "alt": "A wren on a gate",
            "width": 64,
            "height": 48,
            "content_type": "image/png",
        },
        {
            "file": f"media/{post_id}-2.jpg",
            "alt": "",
            "width": 64,
            "height": 48,
            "content_type": "image/jpeg",
        },
    ]
    assert archive.read(f"media/{post_id}-1.png") == stored[0]
    assert archive.read(f"media/{post_id}-2.jpg") == stored[1]
    profile = json.loads(archive.read("profile.json"))
    assert profile["avatar"] == "media/avatar.png"
    assert archive.read("media/avatar.png") == avatar
    in_media = sorted(n for n in archive.namelist() if n.startswith("media/"))
    assert in_media == sorted(
        ["media/avatar.png", f"media/{post_id}-1.png", f"media/{post_id}-2.jpg"]
    )
    # Stored names (content hashes) never appear as paths.
    assert not any(name in "".join(archive.namelist()) for name in names)
    assert export.done == export.total


def test_every_name_in_the_zip_is_ours(
    app: Flask, auth: AuthActions, make_user
) -> None:
    make_user("alice", about_me="../../etc/passwd")
    with app.app_context():
        posts.publish(load("alice", app), "../../evil.zip /etc/passwd")
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    with app.app_context():
        path = exports.file_path(export)
    names = zipfile.ZipFile(path).namelist()
    assert all(".." not in name and not name.startswith("/") for name in names)
    assert "evil" not in "".join(names)


def test_the_page_is_private_and_lists_nothing_at_first(
    client: FlaskClient, auth: AuthActions, alice: User
) -> None:
    auth.login("alice")
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert "Start export" in text
    assert "You have not exported your data yet." in text
    assert "js/export.js" in text


def test_anonymous_visitors_are_sent_to_log_in(
    app: Flask, client: FlaskClient, auth: AuthActions, alice: User
) -> None:
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    auth.logout()
    for url in (PAGE, download_url(export), f"{PAGE}/{export.public_id}/progress"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"]
    # The link died with the login: no zip without logging in again.
    assert client.get(download_url(export), follow_redirects=True).mimetype == (
        "text/html"
    )


def test_another_accounts_export_is_not_found(
    app: Flask, client: FlaskClient, auth: AuthActions, alice: User, make_user
) -> None:
    make_user("mallory")
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    auth.logout()
    auth.login("mallory")
    download = client.get(download_url(export))
    assert download.status_code == 404
    assert "PK" not in download.get_data(as_text=True)[:2]
    assert "start a new one" in download.get_data(as_text=True)
    progress = client.get(
        f"{PAGE}/{export.public_id}/progress", headers={"Accept": "application/json"}
    )
    assert progress.status_code == 404
    assert export.public_id not in client.get(PAGE).get_data(as_text=True)
    # Not hers, and no different from an id that never existed.
    assert client.get(f"{PAGE}/nope/download").status_code == 404


def test_the_public_id_is_long_and_random(
    app: Flask, auth: AuthActions, alice: User
) -> None:
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    assert len(export.public_id) >= 22  # ≥ 128 bits of URL-safe base64
    assert str(export.id) != export.public_id
    assert export.file_name.endswith(".zip")
    assert "alice" not in export.file_name


def test_an_expired_export_is_gone(
    app: Flask, client: FlaskClient, auth: AuthActions, alice: User
) -> None:
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    with app.app_context():
        db.session.execute(
            sa.update(Export).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    response = client.get(download_url(export))
    assert response.status_code == 404
    assert "Exports are kept for 7 days" in response.get_data(as_text=True)
    assert "has expired" in client.get(PAGE).get_data(as_text=True)


def test_the_sweep_removes_expired_exports_and_their_files(
    app: Flask, auth: AuthActions, alice: User
) -> None:
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    with app.app_context():
        path = exports.file_path(export)
        assert path.is_file()
        assert export.expires_at is not None
        exports.sweep(export.expires_at - timedelta(seconds=1))
        assert path.is_file()
        exports.sweep(export.expires_at)
        assert not path.exists()
        assert db.session.scalar(sa.select(sa.func.count(Export.id))) == 0


def test_the_sweep_fails_exports_whose_worker_died(make_app, make_user) -> None:
    app = make_app(JOBS_IMMEDIATE="false")
    make_user("alice")
    link = "http://localhost/settings/export"

    def status(export_id: int) -> str | None:
        db.session.expire_all()
        export = db.session.get(Export, export_id)
        return None if export is None else export.status

    with app.test_request_context():
        export = exports.start(load("alice", app), link)
        export_id, started = export.id, export.created_at
        part = exports.file_path(export).with_name(export.file_name + ".part")
        # The worker took it, wrote part of the zip, and died.
        db.session.execute(
            sa.update(Export).values(status="running", started_at=started)
        )
        db.session.commit()
        part.parent.mkdir(parents=True)
        part.write_bytes(b"PK")

        exports.sweep(started + timedelta(minutes=59))
        assert status(export_id) == "running"
        assert part.exists()
        gave_up = started + timedelta(hours=1, seconds=1)
        exports.sweep(gave_up)
        assert status(export_id) == "failed"
        assert not part.exists()
        # A late delivery of the job does not build a failed export.
        huey = app.extensions["jobs"].huey
        huey.execute(huey.dequeue())
        assert status(export_id) == "failed"
        # Failed is finished: a new export may start.
        exports.start(load("alice", app), link)
        # The failed one is shown for as long as a ready one would be.
        exports.sweep(gave_up + exports.KEEP - timedelta(seconds=1))
        assert status(export_id) == "failed"
        exports.sweep(gave_up + exports.KEEP)
        assert status(export_id) is None


def test_the_sweep_removes_files_no_export_names(app: Flask) -> None:
    with app.app_context():
        folder = exports.export_dir()
        folder.mkdir(parents=True)
        orphan = folder / "0123456789abcdef0123456789abcdef.zip"
        orphan.write_bytes(b"PK")
        partial = folder / "fedcba9876543210fedcba9876543210.zip.part"
        partial.write_bytes(b"PK")
        exports.sweep(utcnow())
        assert not orphan.exists()
        assert not partial.exists()


def test_one_export_at_a_time(make_app, make_user) -> None:
    app = make_app(JOBS_IMMEDIATE="false")
    make_user("alice")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("alice")
    first = start_export(auth)
    assert "Your export has started" in first.get_data(as_text=True)
    assert "Start export" not in first.get_data(as_text=True)
    second = start_export(auth)
    assert "already being prepared" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Export.id))) == 1


def test_the_database_refuses_a_second_unfinished_export(
    app: Flask, alice: User
) -> None:
    with app.app_context():
        db.session.add(Export(user_id=alice.id, status="running"))
        db.session.commit()
        db.session.add(Export(user_id=alice.id, status="queued"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        # Finished ones do not count.
        db.session.add(Export(user_id=alice.id, status="ready"))
        db.session.add(Export(user_id=alice.id, status="failed"))
        db.session.commit()


def test_two_clicks_at_once_start_one_export(make_app, make_user) -> None:
    """Two apps (two connections, two threads) start an export together."""
    apps = [make_app(JOBS_IMMEDIATE="false") for _ in range(2)]
    make_user("alice")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(application: Flask) -> None:
        with application.test_request_context():
            user = load("alice", application)
            barrier.wait()
            try:
                exports.start(user, "http://localhost/settings/export")
            except DomainError:
                outcomes.append("refused")
            else:
                outcomes.append("started")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click, args=(a,)) for a in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "started"]
    with apps[0].app_context():
        assert db.session.scalar(sa.select(sa.func.count(Export.id))) == 1


def test_a_day_allows_only_a_few_exports(
    app: Flask, auth: AuthActions, alice: User
) -> None:
    with app.app_context():
        for hours in range(exports.PER_DAY):
            db.session.add(
                Export(
                    user_id=alice.id,
                    status="failed",
                    created_at=utcnow() - timedelta(hours=hours + 1),
                )
            )
        db.session.commit()
    auth.login("alice")
    refused = start_export(auth)
    assert "Please try again tomorrow" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Export.id))) == exports.PER_DAY
        # A day later the oldest no longer counts.
        db.session.execute(
            sa.update(Export)
            .where(Export.created_at < utcnow() - timedelta(hours=exports.PER_DAY - 1))
            .values(created_at=utcnow() - timedelta(days=1, minutes=1))
        )
        db.session.commit()
    assert "Your export has started" in start_export(auth).get_data(as_text=True)


def test_starting_needs_the_csrf_token(
    app: Flask, client: FlaskClient, auth: AuthActions, alice: User
) -> None:
    auth.login("alice")
    assert client.post(PAGE, data={}).status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Export.id))) == 0


def test_a_ready_export_notifies_and_mails(
    app: Flask, client: FlaskClient, auth: AuthActions, alice: User
) -> None:
    auth.login("alice")
    start_export(auth)
    (mail,) = mail_to(app, "alice@example.com")
    assert "export" in mail.subject.lower()
    assert "http://localhost/settings/export" in mail.body
    assert 'href="http://localhost/settings/export"' in html_body(mail)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Your data export is ready" in page
    assert 'href="/settings/export"' in page
    with app.test_request_context():
        token = _api_token(app, alice)
    api = client.get("/api/notifications", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    (item,) = api.get_json()["items"]
    assert item["kind"] == "export"
    assert item["post"] is None
    # A second export: a second mail, still one (fresh, unread) notification.
    with app.app_context():
        db.session.execute(sa.update(Notification).values(read=True))
        db.session.commit()
    start_export(auth)
    assert len(mail_to(app, "alice@example.com")) == 2
    with app.app_context():
        rows = db.session.scalars(sa.select(Notification)).all()
        assert [(n.kind, n.read) for n in rows] == [("export", False)]


def _api_token(app: Flask, user: User) -> str:
    from app.services import api_tokens

    return api_tokens.issue(load(user.username, app)).token


def test_a_failing_export_is_marked_failed_and_not_retried(
    make_app, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(JOBS_IMMEDIATE="false")
    make_user("alice")

    def broken(path: Path, user_id: int, report: Any) -> None:
        path.write_bytes(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(export_archive, "write_archive", broken)
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("alice")
    start_export(auth)
    huey = app.extensions["jobs"].huey
    huey.execute(huey.dequeue())
    assert huey.pending_count() == 0
    assert huey.scheduled() == []  # no retry
    export = only_export(app)
    assert export.status == "failed"
    # Swept after as long as a ready export is kept.
    assert export.expires_at == export.finished_at + exports.KEEP  # type: ignore[operator]
    with app.app_context():
        folder = exports.export_dir()
        assert list(folder.iterdir()) == []
    page = client.get(PAGE).get_data(as_text=True)
    assert "Something went wrong while preparing this export" in page
    assert "Start export" in page
    assert client.get(download_url(export)).status_code == 404


def test_progress_is_reported_while_queued_and_when_ready(make_app, make_user) -> None:
    app = make_app(JOBS_IMMEDIATE="false")
    make_user("alice")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    url = f"{PAGE}/{export.public_id}/progress"
    queued = client.get(url)
    assert queued.get_json() == {
        "status": "queued",
        "done": 0,
        "total": 0,
        "percent": 0,
    }
    assert "no-store" in queued.headers["Cache-Control"]
    page = client.get(PAGE).get_data(as_text=True)
    assert f'data-export-progress="{url}"' in page
    assert "Refresh" in page
    huey = app.extensions["jobs"].huey
    huey.execute(huey.dequeue())
    ready = client.get(url).get_json()
    assert ready["status"] == "ready"
    assert ready["percent"] == 100


@pytest.mark.parametrize("how", ["settings", "operator"])
def test_deleting_the_account_deletes_its_export_files(
    app: Flask, auth: AuthActions, alice: User, how: str
) -> None:
    auth.login("alice")
    start_export(auth)
    export = only_export(app)
    with app.app_context():
        path = exports.file_path(export)
    assert path.is_file()
    if how == "settings":
        response = auth.post_form("/settings/delete", {"password": DEFAULT_PASSWORD})
        assert response.status_code == 302
    else:
        with app.app_context():
            operators.delete_user(load("alice", app))
    assert not path.exists()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Export.id))) == 0
