"""Threads, replies, likes, edits with history, tags and deleting, as pages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Like, Notification, Post, PostVersion, User, post_tags
from app.services import likes, posts
from tests.statements import count_statements

POST_ID = re.compile(r'<article class="post card[^"]*" id="post-(\d+)"')


def publish(app, username: str, body: str, in_reply_to: int | None = None) -> int:
    with app.app_context():
        author = db.session.scalar(sa.select(User).where(User.username == username))
        return posts.publish(author, body, in_reply_to).id


def row(app, post_id: int) -> Post | None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        if post is not None:
            db.session.expunge(post)
        return post


def ids_on(page: str) -> list[int]:
    return [int(n) for n in POST_ID.findall(page)]


@pytest.fixture
def people(make_user):
    return make_user("alice"), make_user("bob"), make_user("carol")


# --- threads and replies ---------------------------------------------------


def test_a_thread_shows_ancestors_the_post_and_its_replies_in_order(
    app, client, people
):
    root = publish(app, "alice", "root post")
    middle = publish(app, "bob", "middle reply", root)
    leaf = publish(app, "carol", "leaf reply", middle)
    sibling = publish(app, "alice", "another reply", middle)
    page = client.get(f"/post/{middle}").get_data(as_text=True)
    assert ids_on(page) == [root, middle, leaf, sibling]
    assert 'aria-current="true"' in page
    assert "Replying to <a" in page
    assert f'href="/post/{root}">@alice</a>' in page
    assert client.get(f"/post/{leaf}").status_code == 200
    assert ids_on(client.get(f"/post/{leaf}").get_data(as_text=True)) == [
        root,
        middle,
        leaf,
    ]


def test_replies_page_oldest_first_with_after(make_app, make_user):
    app = make_app(POSTS_PER_PAGE="2")
    make_user("alice")
    make_user("bob")
    root = publish(app, "alice", "root")
    replies = [publish(app, "bob", f"reply {n}", root) for n in range(5)]
    client = app.test_client()
    first = client.get(f"/post/{root}").get_data(as_text=True)
    assert ids_on(first) == [root, *replies[:2]]
    assert f'href="/post/{root}?after={replies[1]}"' in first
    second = client.get(f"/post/{root}?after={replies[1]}").get_data(as_text=True)
    assert ids_on(second) == [root, *replies[2:4]]
    last = client.get(f"/post/{root}?after={replies[3]}").get_data(as_text=True)
    assert ids_on(last) == [root, replies[4]]
    assert "?after=" not in last
    assert client.get(f"/post/{root}?after=junk").status_code == 404


def test_reply_from_the_thread_page(app, client, auth, people):
    root = publish(app, "alice", "what do you think?")
    auth.login("bob")
    response = auth.post_form(
        f"/post/{root}/reply", {"body": "  I agree  "}, page=f"/post/{root}"
    )
    assert response.status_code == 302
    with app.app_context():
        reply = db.session.scalar(sa.select(Post).where(Post.in_reply_to_id == root))
        assert reply.body == "I agree"
        assert db.session.get(Post, root).reply_count == 1
    assert response.headers["Location"] == f"/post/{reply.id}"
    page = client.get(f"/post/{root}").get_data(as_text=True)
    assert "I agree" in page
    assert 'class="reply-count">1<' in page


def test_every_card_has_a_reply_link_and_count(app, client, people):
    root = publish(app, "alice", "root")
    publish(app, "bob", "a reply", root)
    page = client.get("/explore").get_data(as_text=True)
    assert f'href="/post/{root}#reply"' in page
    assert 'class="reply-count">1<' in page


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write something"),
        ("x" * 281, "280"),
        ("bad \x00 text", "control characters"),
    ],
)
def test_a_bad_reply_is_a_form_error_and_stores_nothing(
    app, client, auth, people, body, error
):
    root = publish(app, "alice", "root")
    auth.login("bob")
    response = auth.post_form(f"/post/{root}/reply", {"body": body}, page="/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert error in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 1


@pytest.mark.parametrize("action", ["reply", "like", "unlike"])
def test_acting_on_an_unknown_or_deleted_post_is_404(app, client, auth, people, action):
    gone = publish(app, "alice", "soon gone")
    with app.app_context():
        posts.delete(db.session.get(Post, gone), db.session.get(User, people[0].id))
    auth.login("bob")
    for post_id in (gone, 999999):
        response = auth.post_form(f"/post/{post_id}/{action}", {"body": "hi"}, page="/")
        assert response.status_code == 404
    assert client.get(f"/post/{gone}").status_code == 404
    assert client.get("/post/99999999999").status_code == 404


def test_replying_needs_login(app, client, auth, people):
    root = publish(app, "alice", "root")
    response = auth.post_form(f"/post/{root}/reply", {"body": "hi"}, page="/auth/login")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert "Log in</a> to reply" in client.get(f"/post/{root}").get_data(as_text=True)


def test_deleting_a_post_keeps_its_replies_under_a_deleted_post(
    app, client, auth, people
):
    root = publish(app, "alice", "root")
    reply = publish(app, "bob", "the reply", root)
    deeper = publish(app, "carol", "deeper", reply)
    auth.login("alice")
    response = auth.post_form(f"/post/{root}/delete", {}, page="/")
    assert response.status_code == 302
    assert row(app, root) is None
    assert row(app, reply).in_reply_to_id == root
    page = client.get(f"/post/{reply}").get_data(as_text=True)
    assert "This post was deleted." in page
    assert "Replying to a deleted post" in page
    assert ids_on(page) == [reply, deeper]
    assert "Replying to a deleted post" in client.get("/explore").get_data(as_text=True)


def test_deleting_a_reply_lowers_the_parents_count(app, client, auth, people):
    root = publish(app, "alice", "root")
    reply = publish(app, "bob", "reply", root)
    assert row(app, root).reply_count == 1
    auth.login("bob")
    auth.post_form(f"/post/{reply}/delete", {"next": f"/post/{reply}"}, page="/")
    assert row(app, root).reply_count == 0


def test_deleting_from_its_own_thread_page_goes_to_the_profile(
    app, client, auth, people
):
    post_id = publish(app, "alice", "bye")
    auth.login("alice")
    response = auth.post_form(
        f"/post/{post_id}/delete", {"next": f"/post/{post_id}"}, page="/"
    )
    assert response.headers["Location"] == "/user/alice"


def test_deleting_a_post_from_another_threads_page_stays_there(
    app, client, auth, people
):
    post_id = publish(app, "alice", "post one")
    auth.login("alice")
    # /post/1 is a prefix of /post/10, which is another post's page.
    other = f"/post/{post_id}0"
    response = auth.post_form(f"/post/{post_id}/delete", {"next": other}, page="/")
    assert response.headers["Location"] == other


def test_a_long_chain_shows_a_bounded_number_of_ancestors(app, client, people):
    from app.services.timelines import MAX_ANCESTORS

    parent = publish(app, "alice", "post 0")
    chain = [parent]
    for n in range(MAX_ANCESTORS + 5):
        parent = publish(app, "bob", f"post {n + 1}", parent)
        chain.append(parent)
    page = client.get(f"/post/{chain[-1]}").get_data(as_text=True)
    shown = ids_on(page)
    assert shown == chain[-(MAX_ANCESTORS + 1) :]
    assert f'href="/post/{chain[-MAX_ANCESTORS - 2]}">Show earlier posts' in page


# --- likes -------------------------------------------------------------------


def like_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Like)) or 0


def test_like_and_unlike_are_idempotent_and_keep_the_count(app, client, auth, people):
    post_id = publish(app, "alice", "like me")
    auth.login("bob")
    for _ in range(2):
        response = auth.post_form(
            f"/post/{post_id}/like", {"next": "/explore"}, page="/explore"
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/explore"
    assert like_rows(app) == 1
    assert row(app, post_id).like_count == 1
    page = client.get("/explore").get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    assert f'formaction="/post/{post_id}/unlike"' in page
    # Every like button submits the page's one form, which holds the token.
    assert page.count('<form id="like-form"') == 1
    assert 'form="like-form"' in page
    assert (
        '<span class="like-number">1</span> <span class="like-noun">like</span>' in page
    )
    for _ in range(2):
        auth.post_form(f"/post/{post_id}/unlike", {}, page="/explore")
    assert like_rows(app) == 0
    assert row(app, post_id).like_count == 0
    assert 'aria-pressed="false"' in client.get("/explore").get_data(as_text=True)


def test_a_fetch_that_asks_for_json_gets_204(app, client, auth, people):
    post_id = publish(app, "alice", "like me")
    auth.login("bob")
    response = auth.post_form(
        f"/post/{post_id}/like", {}, page="/", headers={"Accept": "application/json"}
    )
    assert response.status_code == 204
    assert response.data == b""
    assert like_rows(app) == 1
    missing = auth.post_form(
        "/post/999999/like", {}, page="/", headers={"Accept": "application/json"}
    )
    assert missing.status_code == 404
    assert missing.is_json


def test_liking_needs_login_and_a_csrf_token(app, client, auth, people):
    post_id = publish(app, "alice", "like me")
    response = client.post(f"/post/{post_id}/like")
    assert response.status_code in {302, 400}
    auth.login("bob")
    assert client.post(f"/post/{post_id}/like").status_code == 400
    assert like_rows(app) == 0


def test_the_liked_by_list_is_newest_first(app, client, auth, people):
    post_id = publish(app, "alice", "popular")
    with app.app_context():
        for name in ("bob", "carol"):
            user = db.session.scalar(sa.select(User).where(User.username == name))
            likes.like(user, post_id)
    page = client.get(f"/post/{post_id}/likes").get_data(as_text=True)
    assert page.index(">carol<") < page.index(">bob<")
    assert client.get("/post/999999/likes").status_code == 404


def test_anonymous_readers_see_counts_but_no_like_form(app, client, auth, people):
    post_id = publish(app, "alice", "hello")
    with app.app_context():
        likes.like(db.session.get(User, people[1].id), post_id)
    page = client.get("/explore").get_data(as_text=True)
    assert "like-form" not in page
    assert '<span class="like-number">1</span>' in page


# --- edits and history -------------------------------------------------------


def test_the_author_edits_and_the_history_keeps_the_old_text(app, client, auth, people):
    post_id = publish(app, "alice", "first text #old @bob")
    client.get("/explore")  # the card is cached now
    auth.login("alice")
    form = client.get(f"/post/{post_id}/edit").get_data(as_text=True)
    assert "first text #old @bob</textarea>" in form
    response = auth.post_form(
        f"/post/{post_id}/edit", {"body": "second text #new @carol"}, page="/"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/post/{post_id}"
    explore = client.get("/explore").get_data(as_text=True)
    assert "second text" in explore
    assert "first text" not in explore
    assert f'href="/post/{post_id}/history"' in explore
    assert ">edited<" in explore
    history = client.get(f"/post/{post_id}/history").get_data(as_text=True)
    assert history.index("second text") < history.index("first text")
    with app.app_context():
        assert list(
            db.session.scalars(
                sa.select(post_tags.c.tag).where(post_tags.c.post_id == post_id)
            )
        ) == ["new"]
    assert ids_on(client.get("/tag/old").get_data(as_text=True)) == []
    assert ids_on(client.get("/tag/new").get_data(as_text=True)) == [post_id]


def test_saving_the_same_text_makes_no_version(app, client, auth, people):
    post_id = publish(app, "alice", "unchanged")
    auth.login("alice")
    auth.post_form(f"/post/{post_id}/edit", {"body": " unchanged "}, page="/")
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(PostVersion)) == 0
        )
        assert db.session.get(Post, post_id).edited_at is None


def test_someone_elses_post_cannot_be_edited(app, client, auth, people):
    post_id = publish(app, "alice", "mine")
    auth.login("bob")
    assert client.get(f"/post/{post_id}/edit").status_code == 403
    response = auth.post_form(f"/post/{post_id}/edit", {"body": "hacked"}, page="/")
    assert response.status_code == 403
    assert row(app, post_id).body == "mine"
    assert client.get("/post/999999/edit").status_code == 404


@pytest.mark.parametrize("body", ["", "x" * 281, "a\x07b"])
def test_a_bad_edit_is_a_form_error(app, client, auth, people, body):
    post_id = publish(app, "alice", "mine")
    auth.login("alice")
    response = auth.post_form(f"/post/{post_id}/edit", {"body": body}, page="/")
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert row(app, post_id).body == "mine"


def test_an_unedited_post_has_an_empty_history(app, client, people):
    post_id = publish(app, "alice", "never edited")
    page = client.get(f"/post/{post_id}/history").get_data(as_text=True)
    assert "This post has not been edited." in page
    assert client.get("/post/999999/history").status_code == 404


# --- tags --------------------------------------------------------------------


def test_a_tag_page_lists_its_posts_newest_first_with_before(make_app, make_user):
    # The app first: on a shared database making it empties the tables.
    app = make_app(POSTS_PER_PAGE="2")
    make_user("alice")
    make_user("bob")
    ids = [publish(app, "alice", f"#Wren number {n}") for n in range(3)]
    publish(app, "bob", "no tag here, #wrens is another")
    client = app.test_client()
    page = client.get("/tag/wren").get_data(as_text=True)
    assert ids_on(page) == [ids[2], ids[1]]
    assert '<a class="hashtag" href="/tag/wren">#Wren</a>' in page
    older = client.get(f"/tag/wren?before={ids[1]}").get_data(as_text=True)
    assert ids_on(older) == [ids[0]]


def test_tag_urls_are_case_insensitive_and_bounded(app, client, people):
    post_id = publish(app, "alice", "#Café time")
    response = client.get("/tag/CAFÉ")
    assert response.status_code == 301
    assert response.headers["Location"] == "/tag/caf%C3%A9"
    assert ids_on(client.get("/tag/café").get_data(as_text=True)) == [post_id]
    assert client.get("/tag/" + "a" * 64).status_code == 200
    assert client.get("/tag/" + "a" * 65).status_code == 404
    assert client.get("/tag/no%20space").status_code == 404


def test_mentions_of_unknown_users_stay_text(app, client, people):
    publish(app, "alice", "hi @bob and @nobody_here")
    page = client.get("/explore").get_data(as_text=True)
    assert '<a class="mention" href="/user/bob">@bob</a>' in page
    assert "@nobody_here" in page
    assert 'href="/user/nobody_here"' not in page


def test_fifty_mentions_make_one_notification_each_and_render(app, client, make_user):
    names = [f"m{n:02d}" for n in range(50)]
    for name in names:
        make_user(name)
    make_user("loud")
    body = " ".join(f"@{name}" for name in names) + " @m00 @M01"
    assert len(body) <= 280
    post_id = publish(app, "loud", body)
    with app.app_context():
        counts = dict(
            db.session.execute(
                sa.select(Notification.recipient_id, sa.func.count()).group_by(
                    Notification.recipient_id
                )
            ).all()
        )
    assert len(counts) == 50
    assert set(counts.values()) == {1}
    with count_statements(app) as statements:
        response = client.get(f"/post/{post_id}")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="mention"') == 52
    assert len(statements) <= 6


def test_deleting_an_account_takes_its_likes_and_replies_off_the_counters(app, people):
    from app.services import accounts
    from tests.factories import DEFAULT_PASSWORD

    root = publish(app, "alice", "root")
    publish(app, "bob", "reply one", root)
    publish(app, "bob", "reply two", root)
    publish(app, "carol", "reply three", root)
    with app.app_context():
        for name in ("bob", "carol"):
            likes.like(
                db.session.scalar(sa.select(User).where(User.username == name)), root
            )
        accounts.delete_account(
            db.session.scalar(sa.select(User).where(User.username == "bob")),
            DEFAULT_PASSWORD,
        )
    post = row(app, root)
    assert (post.reply_count, post.like_count) == (1, 1)


def test_every_address_on_a_card_answers(app, client, auth, people):
    """Cards build their post's addresses from its thread's (app.web.cards):
    each one must still reach its route."""
    parent = publish(app, "bob", "the parent")
    post_id = publish(app, "alice", "a reply", in_reply_to=parent)
    auth.login("alice")
    auth.post_form(f"/post/{post_id}/edit", {"body": "an edited reply"}, page="/")
    page = client.get("/explore").get_data(as_text=True)
    card = page[page.index(f'id="post-{post_id}"') :]
    card = card[: card.index("</article>")]
    links = set(re.findall(r'(?:href|formaction|data-(?:un)?like-url)="([^"#]+)', card))
    pages = {
        link for link in links if not link.endswith("like") and "/static/" not in link
    }
    assert pages == {
        "/user/alice",
        f"/post/{post_id}",
        f"/post/{post_id}/history",
        f"/post/{post_id}/likes",
        f"/post/{post_id}/edit",
        f"/post/{post_id}/delete?next=/explore",
        f"/post/{parent}",
    }
    for link in pages:
        assert client.get(link).status_code == 200, link
    assert links - pages == {
        "/static/img/icons.svg",
        f"/post/{post_id}/like",
        f"/post/{post_id}/unlike",
    }
    for action in ("like", "unlike"):
        response = auth.post_form(f"/post/{post_id}/{action}", {"next": "/"}, page="/")
        assert response.status_code == 302
    assert row(app, post_id).like_count == 0
    # Others' cards carry a report link (cached with the card), one's own not.
    page = client.get("/explore").get_data(as_text=True)
    assert f'href="/post/{parent}/report"' in page
    assert f'href="/post/{post_id}/report"' not in page
    assert client.get(f"/post/{parent}/report").status_code == 200
