"""Suspension takes effect at once, on every node: two apps, one database."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.services import likes, posts, social
from tests.api_helpers import basic as basic_auth
from tests.api_helpers import bearer, obtain_token
from tests.conftest import AuthActions
from tests.moderation_helpers import account, post_as, set_role

SPAM = "Cheap seeds for every wren #birds"


def _setup(node) -> dict[str, int]:
    with node.app_context():
        spammer = db.session.scalar(sa.select(User).where(User.username == "spammer"))
        carol = db.session.scalar(sa.select(User).where(User.username == "carol"))
        social.follow(carol, spammer)
        social.follow(spammer, carol)
        own = posts.publish(carol, "My morning walk #birds")
        spam = posts.publish(spammer, SPAM + " @carol")
        reply = posts.publish(spammer, "Reply with more seeds", in_reply_to=own.id)
        likes.like(spammer, own.id)
        return {"own": own.id, "spam": spam.id, "reply": reply.id}


def _pages(client, ids: dict[str, int]) -> dict[str, str]:
    return {
        url: client.get(url).get_data(as_text=True)
        for url in (
            "/",
            "/explore",
            "/tag/birds",
            "/search?q=seeds",
            f"/post/{ids['own']}",
            "/notifications",
            f"/post/{ids['own']}/likes",
            "/tag/birds/feed.atom",
        )
    }


def test_suspension_hides_everything_on_the_other_node(make_app, make_user):
    node_a = make_app()
    node_b = make_app()
    make_user("mod")
    set_role(node_a, "mod", "moderator")
    make_user("carol")
    make_user("spammer")
    ids = _setup(node_a)

    # The spammer is logged in on node B, with an API token too.
    spammer_b = node_b.test_client()
    AuthActions(spammer_b).login("spammer")
    assert spammer_b.get("/settings/profile").status_code == 200
    token = obtain_token(spammer_b, "spammer")
    carol_b = node_b.test_client()
    AuthActions(carol_b).login("carol")
    before = _pages(carol_b, ids)
    for url, page in before.items():
        assert "Cheap seeds" in page or "spammer" in page, url

    # A moderator on node A suspends the spammer.
    mod_a = node_a.test_client()
    mod_auth = AuthActions(mod_a)
    mod_auth.login("mod")
    response = post_as(mod_auth, "/admin/users/spammer/suspend", {"reason": "spam"})
    assert response.status_code == 302

    # Node B: the login is over, the token is refused, no new login.
    gone = spammer_b.get("/settings/profile")
    assert gone.status_code == 302
    assert "/auth/login" in gone.headers["Location"]
    assert spammer_b.get("/api/me", headers=bearer(token)).status_code == 403
    refused = AuthActions(node_b.test_client()).login("spammer")
    assert refused.status_code == 200
    assert "This account is suspended" in refused.get_data(as_text=True)
    by_password = node_b.test_client().post(
        "/api/tokens",
        headers=basic_auth("spammer"),
    )
    assert by_password.status_code == 403

    # Everything the spammer wrote or did is gone for everyone else.
    after = _pages(carol_b, ids)
    for url, page in after.items():
        assert "Cheap seeds" not in page, url
        assert "more seeds" not in page, url
        assert "spammer" not in page, url
    anonymous = node_b.test_client()
    for url in ("/explore", "/tag/birds", "/search?q=seeds"):
        assert "Cheap seeds" not in anonymous.get(url).get_data(as_text=True), url
    thread = carol_b.get(f"/post/{ids['spam']}")
    assert thread.status_code == 404
    assert "This post is unavailable." in thread.get_data(as_text=True)
    assert carol_b.get("/user/spammer").status_code == 404
    assert carol_b.get("/user/spammer/feed.atom").status_code == 404
    # The API reads the same statements.
    carol_token = obtain_token(carol_b, "carol")
    feed = carol_b.get("/api/feed", headers=bearer(carol_token)).get_json()
    assert all(item["author"]["username"] != "spammer" for item in feed["items"])
    assert (
        carol_b.get(
            f"/api/posts/{ids['spam']}", headers=bearer(carol_token)
        ).status_code
        == 404
    )
    found = carol_b.get("/api/search?q=seeds", headers=bearer(carol_token)).get_json()
    assert found["items"] == []
    # The account itself is gone from the API, as its profile page is.
    spammer_id = account(node_b, "spammer").id
    for path in ("", "/posts", "/followers", "/following"):
        gone_user = carol_b.get(
            f"/api/users/{spammer_id}{path}", headers=bearer(carol_token)
        )
        assert gone_user.status_code == 404, path
        assert gone_user.get_json()["message"] == "There is no user with that id."
    assert "notification-badge" not in carol_b.get("/").get_data(as_text=True)

    # Lifting the suspension brings it all back; the token works again.
    assert post_as(mod_auth, "/admin/users/spammer/unsuspend").status_code == 302
    assert not account(node_b, "spammer").is_suspended
    assert "Cheap seeds" in carol_b.get("/explore").get_data(as_text=True)
    assert carol_b.get(f"/post/{ids['spam']}").status_code == 200
    assert (
        carol_b.get(f"/api/users/{spammer_id}", headers=bearer(carol_token)).status_code
        == 200
    )
    assert spammer_b.get("/api/me", headers=bearer(token)).status_code == 200
