"""Following, unfollowing, the feed it builds, counts and follower lists."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User, follows
from app.services import social, timelines
from tests.test_posts import add_post, post_ids


def follow_pairs(app) -> set[tuple[str, str]]:
    with app.app_context():
        follower = sa.orm.aliased(User)
        followed = sa.orm.aliased(User)
        rows = db.session.execute(
            sa.select(follower.username, followed.username)
            .select_from(follows)
            .join(follower, follower.id == follows.c.follower_id)
            .join(followed, followed.id == follows.c.followed_id)
        )
        return {(a, b) for a, b in rows}


def count_in_link(page: str, href: str) -> int:
    """The number shown inside the link to ``href`` (as DESIGN.md requires)."""
    match = re.search(rf'<a[^>]*href="{re.escape(href)}"[^>]*>(.*?)</a>', page, re.S)
    assert match, f"no link to {href}"
    return int(re.sub(r"<[^>]+>", "", match.group(1)).split()[0])


@pytest.fixture
def classic(app, make_user):
    """john, susan, mary and david each post once, in that order."""
    ids = {}
    for name in ("john", "susan", "mary", "david"):
        make_user(name)
        ids[name] = add_post(app, name, f"post from {name}")
    return ids


def test_classic_follow_scenario_feeds(app, client, auth, classic):
    for who, whom in [
        ("john", "susan"),
        ("john", "david"),
        ("susan", "mary"),
        ("mary", "david"),
    ]:
        auth.login(who)
        response = auth.post_form(f"/follow/{whom}", {}, page=f"/user/{whom}")
        assert response.status_code == 302
        auth.logout()
    expected = {
        "john": ["david", "susan", "john"],
        "susan": ["mary", "susan"],
        "mary": ["david", "mary"],
        "david": ["david"],
    }
    for who, authors in expected.items():
        auth.login(who)
        assert post_ids(client.get("/")) == [classic[a] for a in authors], who
        auth.logout()
    # The service the API uses gives the same answer.
    with app.app_context():
        john = db.session.scalar(sa.select(User).where(User.username == "john"))
        page = timelines.feed_page(john, None, 25)
        assert [p.username for p in page.items] == expected["john"]


def test_unfollow_removes_their_posts_from_the_feed(app, client, auth, classic):
    auth.login("john")
    auth.post_form("/follow/susan", {}, page="/user/susan")
    assert post_ids(client.get("/")) == [classic["susan"], classic["john"]]
    response = auth.post_form("/unfollow/susan", {}, page="/user/susan")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are no longer following susan." in page
    assert post_ids(client.get("/")) == [classic["john"]]
    assert follow_pairs(app) == set()


def test_follow_button_turns_into_unfollow(app, client, auth, classic):
    auth.login("john")
    page = client.get("/user/susan").get_data(as_text=True)
    assert 'action="/follow/susan"' in page
    assert ">Follow<" in page
    auth.post_form("/follow/susan", {}, page="/user/susan")
    page = client.get("/user/susan").get_data(as_text=True)
    assert 'action="/unfollow/susan"' in page
    assert ">Unfollow<" in page


def test_no_follow_button_on_own_profile_or_for_visitors(client, auth, classic):
    page = client.get("/user/susan").get_data(as_text=True)
    assert 'action="/follow/susan"' not in page
    assert "Log in to follow" in page
    auth.login("susan")
    page = client.get("/user/susan").get_data(as_text=True)
    assert 'action="/follow/susan"' not in page
    assert 'action="/unfollow/susan"' not in page


def test_profile_counts_posts_followers_and_following(app, client, auth, classic):
    for who in ("john", "mary", "david"):
        auth.login(who)
        auth.post_form("/follow/susan", {}, page="/user/susan")
        auth.logout()
    auth.login("susan")
    auth.post_form("/follow/john", {}, page="/user/john")
    add_post(app, "susan", "second")
    page = client.get("/user/susan").get_data(as_text=True)
    assert count_in_link(page, "/user/susan/followers") == 3
    assert count_in_link(page, "/user/susan/following") == 1
    assert re.search(r'class="post-count[^"]*">2<', page)
    page = client.get("/user/david").get_data(as_text=True)
    assert count_in_link(page, "/user/david/followers") == 0
    assert count_in_link(page, "/user/david/following") == 1


def test_counts_for_many_users_at_once(app, classic):
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        social.follow(users["john"], users["susan"])
        social.follow(users["mary"], users["susan"])
        counts = social.counts([u.id for u in users.values()] + [999])
    assert counts[users["susan"].id] == social.UserCounts(1, 2, 0)
    assert counts[users["john"].id] == social.UserCounts(1, 0, 1)
    assert 999 not in counts


def test_following_twice_is_harmless(app, client, auth, classic):
    auth.login("john")
    for _ in range(2):
        response = auth.post_form("/follow/susan", {}, page="/user/susan")
        assert response.status_code == 302
    assert follow_pairs(app) == {("john", "susan")}


def test_losing_a_follow_race_is_harmless(app, classic, monkeypatch):
    # Two requests both saw "not following"; the other one inserted first.
    with app.app_context():
        john = db.session.scalar(sa.select(User).where(User.username == "john"))
        susan = db.session.scalar(sa.select(User).where(User.username == "susan"))
        db.session.execute(
            sa.insert(follows).values(follower_id=john.id, followed_id=susan.id)
        )
        db.session.commit()
        monkeypatch.setattr(User, "is_following", lambda self, other: False)
        social.follow(john, susan)
    assert follow_pairs(app) == {("john", "susan")}


def test_unfollowing_someone_not_followed_is_harmless(app, client, auth, classic):
    auth.login("john")
    response = auth.post_form("/unfollow/susan", {}, page="/user/susan")
    assert response.status_code == 302
    assert follow_pairs(app) == set()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_following_yourself_is_refused_with_a_message(
    app, client, auth, classic, action
):
    auth.login("john")
    response = auth.post_form(f"/{action}/john", {}, page="/user/john")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cannot follow yourself." in page
    assert follow_pairs(app) == set()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_following_an_unknown_user_is_404(client, auth, classic, action):
    auth.login("john")
    response = auth.post_form(f"/{action}/nobody", {}, page="/")
    assert response.status_code == 404
    assert b"There is no user called nobody." in response.data


def test_follow_lookup_ignores_case(app, client, auth, classic):
    auth.login("john")
    auth.post_form("/follow/SUSAN", {}, page="/user/susan")
    assert follow_pairs(app) == {("john", "susan")}


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_without_csrf_token_is_400_and_changes_nothing(
    app, client, auth, classic, action
):
    auth.login("john")
    if action == "unfollow":
        auth.post_form("/follow/susan", {}, page="/user/susan")
    before = follow_pairs(app)
    response = client.post(f"/{action}/susan")
    assert response.status_code == 400
    response = client.post(f"/{action}/susan", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert follow_pairs(app) == before


def test_follow_is_post_only(app, client, auth, classic):
    auth.login("john")
    assert client.get("/follow/susan").status_code == 405
    assert follow_pairs(app) == set()


def test_follow_needs_login(app, client, auth, classic):
    response = auth.post_form("/follow/susan", {}, page="/auth/login")
    assert response.status_code == 302
    assert "/auth/login?next=" in response.headers["Location"]
    assert follow_pairs(app) == set()


def test_feed_needs_login_for_posting_but_lists_are_public(client, classic):
    assert client.get("/user/susan/followers").status_code == 200
    assert client.get("/user/susan/following").status_code == 200
    assert client.get("/user/nobody/followers").status_code == 404
    assert client.get("/user/nobody/following").status_code == 404


def test_follower_and_following_lists(app, client, auth, classic):
    for who in ("john", "mary"):
        auth.login(who)
        auth.post_form("/follow/susan", {}, page="/user/susan")
        auth.logout()
    page = client.get("/user/susan/followers").get_data(as_text=True)
    assert "People following susan" in page
    names = re.findall(r'<a class="fw-semibold" href="/user/(\w+)">', page)
    assert names == ["mary", "john"]  # newest account first
    page = client.get("/user/john/following").get_data(as_text=True)
    assert re.findall(r'<a class="fw-semibold" href="/user/(\w+)">', page) == ["susan"]
    page = client.get("/user/david/followers").get_data(as_text=True)
    assert "Nobody follows david yet." in page


def test_follower_list_pages_by_cursor(make_app, auth, make_user):
    app = make_app(POSTS_PER_PAGE="2")
    client = app.test_client()
    make_user("star")
    fans = [make_user(f"fan{i}") for i in range(5)]
    with app.app_context():
        star = db.session.scalar(sa.select(User).where(User.username == "star"))
        for fan in fans:
            social.follow(db.session.get(User, fan.id), star)
    seen: list[str] = []
    url = "/user/star/followers"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r'<a class="fw-semibold" href="/user/(\w+)">', page)
        match = re.search(r'rel="next"\s+href="([^"]+)"', page)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert seen == [f"fan{i}" for i in range(4, -1, -1)]


def test_deleting_a_user_removes_their_follows(app, client, auth, classic):
    auth.login("john")
    auth.post_form("/follow/susan", {}, page="/user/susan")
    with app.app_context():
        db.session.delete(
            db.session.scalar(sa.select(User).where(User.username == "susan"))
        )
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(follows)) == 0
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 3
