"""Posting, deleting and reading posts on the feed, explore and profiles."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User

POST_ID = re.compile(r'<article class="post[^"]*" id="post-(\d+)"')


def post_ids(response) -> list[int]:
    return [int(n) for n in POST_ID.findall(response.get_data(as_text=True))]


def add_post(app, username: str, body: str) -> int:
    with app.app_context():
        author = db.session.scalar(sa.select(User).where(User.username == username))
        post = Post(author=author, body=body)
        db.session.add(post)
        db.session.commit()
        return post.id


def all_bodies(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Post.body).order_by(Post.id)))


def test_anonymous_home_is_the_landing_page(client):
    page = client.get("/").get_data(as_text=True)
    assert "Create an account" in page
    assert 'name="body"' not in page


def test_anonymous_post_goes_to_login_and_creates_nothing(app, client, auth, user):
    response = auth.post_form("/", {"body": "hello"}, page="/auth/login")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]
    assert all_bodies(app) == []


def test_new_post_is_trimmed_and_appears_in_feed(app, client, auth, user):
    auth.login(user)
    response = auth.post_form("/", {"body": "  first!  "})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "first!" in page
    assert "Your post is live." in page
    assert all_bodies(app) == ["first!"]


def test_post_of_exactly_280_characters_is_accepted(app, client, auth, user):
    auth.login(user)
    body = "x" * 280
    response = auth.post_form("/", {"body": f"\n  {body}  \n"})
    assert response.status_code == 302
    assert all_bodies(app) == [body]


def test_newlines_and_tabs_are_kept(app, client, auth, user):
    auth.login(user)
    auth.post_form("/", {"body": "line one\n\tline two"})
    assert all_bodies(app) == ["line one\n\tline two"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something in the post."),
        ("   \n  ", "Write something in the post."),
        ("y" * 281, "The post can be at most 280 characters (281 now)."),
        ("bell\x07", "Remove the control characters from the text."),
        ("nul\x00byte", "Remove the control characters from the text."),
    ],
)
def test_bad_post_is_refused_and_keeps_what_was_typed(
    app, client, auth, user, body, message
):
    auth.login(user)
    response = auth.post_form("/", {"body": body})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    if body.strip() and "\x00" not in body:
        # What was typed comes back in the textarea, escaped.
        assert body.strip() in page
    assert all_bodies(app) == []


def test_post_body_is_escaped(app, client, auth, user):
    auth.login(user)
    auth.post_form("/", {"body": "<script>alert('x')</script> & more"})
    page = client.get("/explore").get_data(as_text=True)
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def test_post_without_csrf_token_is_refused(app, client, auth, user):
    auth.login(user)
    response = client.post("/", data={"body": "sneaky"})
    assert response.status_code == 400
    assert all_bodies(app) == []


def test_empty_feed_says_what_to_do(client, auth, user):
    auth.login(user)
    page = client.get("/").get_data(as_text=True)
    assert "Follow people to fill your feed" in page
    assert 'href="/explore"' in page


def test_post_card_links_author_and_gives_machine_readable_time(app, client, make_user):
    make_user("susan")
    post_id = add_post(app, "susan", "Hello from susan")
    page = client.get("/explore").get_data(as_text=True)
    card = page[page.index(f'id="post-{post_id}"') :]
    card = card[: card.index("</article>")]
    assert 'href="/user/susan"' in card
    assert "Hello from susan" in card
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', card)
    assert 'title="' in card
    # The card is shared by every reader, so it says the time in UTC;
    # static/js/app.js turns it into "just now" in the reader's browser.
    # English (the default): "Nov 30, 2026, 08:27 UTC".
    assert re.search(r"\w{3} \d{1,2}, \d{4}, \d\d:\d\d UTC</time>", card)


def test_explore_is_public_and_lists_everyone_newest_first(app, client, make_user):
    make_user("susan")
    make_user("mary")
    first = add_post(app, "susan", "older post")
    second = add_post(app, "mary", "newer post")
    response = client.get("/explore")
    assert response.status_code == 200
    assert post_ids(response) == [second, first]


def test_explore_without_posts_says_so(client):
    assert b"Nobody has posted yet." in client.get("/explore").data


def test_profile_lists_only_that_users_posts(app, client, make_user):
    make_user("susan")
    make_user("mary")
    mine = [add_post(app, "susan", f"susan {i}") for i in range(3)]
    add_post(app, "mary", "not on susan's profile")
    response = client.get("/user/susan")
    assert post_ids(response) == mine[::-1]
    assert b"not on susan" not in response.data


def test_author_can_delete_own_post(app, client, auth, user):
    post_id = add_post(app, "john", "regrettable")
    auth.login(user)
    response = auth.post_form(f"/post/{post_id}/delete", {}, page="/")
    assert response.status_code == 302
    assert "/user/john" in response.headers["Location"]
    assert "Your post has been deleted." in client.get("/").get_data(as_text=True)
    assert all_bodies(app) == []


def test_delete_returns_to_the_page_it_was_made_from(app, client, auth, user):
    post_id = add_post(app, "john", "regrettable")
    auth.login(user)
    response = auth.post_form(f"/post/{post_id}/delete", {"next": "/explore"}, page="/")
    assert response.headers["Location"] == "/explore"


def test_delete_ignores_an_offsite_next(app, client, auth, user):
    post_id = add_post(app, "john", "regrettable")
    auth.login(user)
    response = auth.post_form(
        f"/post/{post_id}/delete", {"next": "//evil.example/"}, page="/"
    )
    assert response.headers["Location"] == "/user/john"


def test_only_the_author_sees_a_delete_button(app, client, auth, user, make_user):
    make_user("susan")
    mine = add_post(app, "john", "mine")
    theirs = add_post(app, "susan", "theirs")
    auth.login(user)
    page = client.get("/explore").get_data(as_text=True)
    assert f'href="/post/{mine}/delete?next=/explore"' in page
    assert f"/post/{theirs}/delete" not in page


def test_delete_by_someone_else_is_forbidden(app, client, auth, make_user):
    make_user("susan")
    mallory = make_user("mallory")
    post_id = add_post(app, "susan", "susan's post")
    auth.login(mallory)
    response = auth.post_form(f"/post/{post_id}/delete", {}, page="/")
    assert response.status_code == 403
    assert b"You can only delete your own posts." in response.data
    assert all_bodies(app) == ["susan's post"]


def test_delete_of_missing_post_is_404(client, auth, user):
    auth.login(user)
    assert auth.post_form("/post/999/delete", {}, page="/").status_code == 404


def test_delete_needs_login(app, client, auth, user):
    post_id = add_post(app, "john", "still here")
    response = auth.post_form(f"/post/{post_id}/delete", {}, page="/auth/login")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert all_bodies(app) == ["still here"]


def test_delete_without_csrf_token_is_refused(app, client, auth, user):
    post_id = add_post(app, "john", "still here")
    auth.login(user)
    assert client.post(f"/post/{post_id}/delete").status_code == 400
    assert all_bodies(app) == ["still here"]


def test_a_get_asks_to_confirm_and_deletes_nothing(app, client, auth, user):
    post_id = add_post(app, "john", "still here")
    auth.login(user)
    response = client.get(f"/post/{post_id}/delete?next=/explore")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Delete this post?" in page
    assert f'action="/post/{post_id}/delete"' in page
    assert 'name="next" value="/explore"' in page
    assert all_bodies(app) == ["still here"]


def test_only_the_author_is_asked_to_confirm(app, client, auth, make_user):
    make_user("susan")
    mallory = make_user("mallory")
    post_id = add_post(app, "susan", "susan's post")
    auth.login(mallory)
    assert client.get(f"/post/{post_id}/delete").status_code == 403
    assert client.get("/post/999/delete").status_code == 404


def test_deleting_a_user_removes_their_posts(app, make_user):
    make_user("susan")
    add_post(app, "susan", "bye")
    with app.app_context():
        db.session.delete(db.session.scalar(sa.select(User)))
        db.session.commit()
    assert all_bodies(app) == []


def test_cards_follow_renames_and_show_delete_only_to_the_author(
    app, client, auth, make_user
):
    """Cards are cached per post; a cached card must never go stale or leak."""
    make_user("susan")
    make_user("mary")
    post_id = add_post(app, "susan", "cached <b>card</b>")

    def card(page: str) -> str:
        start = page.index(f'id="post-{post_id}"')
        return page[start : page.index("</article>", start)]

    first = card(client.get("/explore").get_data(as_text=True))
    assert "cached &lt;b&gt;card&lt;/b&gt;" in first
    assert "post-delete" not in first

    auth.login("mary")
    assert "post-delete" not in card(client.get("/explore").get_data(as_text=True))
    auth.logout()

    auth.login("susan")
    own = card(client.get("/explore?before=999999").get_data(as_text=True))
    assert f'href="/post/{post_id}/delete?next=/explore?before%3D999999"' in own

    with app.app_context():
        susan = db.session.scalar(sa.select(User).where(User.username == "susan"))
        susan.username = "susanna"
        db.session.commit()
    whole = client.get("/explore").get_data(as_text=True)
    renamed = card(whole)
    assert 'href="/user/susanna"' in renamed
    assert ">susanna</a>" in renamed

    # The page's form token belongs to this session.
    token = re.search(r'name="csrf_token" value="([^"]+)"', whole).group(1)
    response = client.post(
        f"/post/{post_id}/delete", data={"csrf_token": token, "next": "/explore"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Post, post_id) is None


def test_cached_urls_follow_the_script_root(app, client, make_user):
    """Behind a proxy that mounts Wren under a prefix, every URL carries it."""
    make_user("susan")
    add_post(app, "susan", "hello")
    plain = client.get("/explore").get_data(as_text=True)
    mounted = client.get("/explore", environ_overrides={"SCRIPT_NAME": "/wren"})
    page = mounted.get_data(as_text=True)
    assert 'href="/user/susan"' in plain
    assert 'href="/wren/user/susan"' in page
    assert 'href="/wren/static/css/wren.css"' in page
    assert 'href="/static/css/wren.css"' not in page
    assert 'href="/static/css/wren.css"' in plain
