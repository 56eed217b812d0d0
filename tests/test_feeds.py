"""Atom feeds: /user/<u>/feed.atom and /tag/<tag>/feed.atom.

Each feed is checked three ways: against the Atom 1.0 RELAX NG schema of
RFC 4287 (tests/data/atom.rng, with the two Schematron rules it carries),
through feedparser (a real feed reader's parser), and by what a reader sees:
titles, links, times, content, status codes and caching headers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import feedparser
import pytest
import sqlalchemy as sa
from lxml import etree

from app.extensions import db
from app.models import Post, User
from app.services import likes, posts, social
from tests.conftest import AuthActions
from tests.statements import count_statements

PUBLIC = "https://wren.example.org"
EVIL = "evil.example"
ATOM = "http://www.w3.org/2005/Atom"
NS = {"atom": ATOM}
SCHEMA = Path(__file__).parent / "data" / "atom.rng"
SCHEMATRON = "http://www.ascc.net/xml/schematron"


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL=PUBLIC)


# --- helpers -------------------------------------------------------------------


@cache
def relax_ng() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(SCHEMA))


@cache
def schematron_rules() -> list[tuple[str, str, str]]:
    """(context, test, message) of each Schematron assertion in the schema."""
    tree = etree.parse(SCHEMA)
    rules = []
    for rule in tree.iter(f"{{{SCHEMATRON}}}rule"):
        for check in rule.iter(f"{{{SCHEMATRON}}}assert"):
            rules.append((rule.get("context"), check.get("test"), check.text))
    return rules


def schema_errors(document: bytes) -> list[str]:
    """Why ``document`` is not a valid Atom feed; empty when it is."""
    root = etree.fromstring(document)
    schema = relax_ng()
    errors = [] if schema.validate(root) else [str(e) for e in schema.error_log]
    for context, test, message in schematron_rules():
        for node in root.xpath(f"//{context}", namespaces=NS):
            if not node.xpath(f"boolean({test})", namespaces=NS):
                errors.append(message)
    return errors


def parsed(response) -> feedparser.FeedParserDict:
    """The feed as a feed reader sees it, with no parse error."""
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(
        response.data,
        response_headers={"content-type": response.headers["Content-Type"]},
    )
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def user_named(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def publish(app, username: str, body: str, *, at=None, in_reply_to=None) -> int:
    """Publish as ``username``; ``at`` backdates the post."""
    with app.app_context():
        post = posts.publish(user_named(username), body, in_reply_to=in_reply_to)
        if at is not None:
            post.created_at = at
            db.session.commit()
        return post.id


def edit(app, post_id: int, body: str) -> None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        posts.edit(post, post.author, body)


def delete(app, post_id: int) -> None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        posts.delete(post, post.author)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def text_of(document: bytes, path: str) -> list[str]:
    return etree.fromstring(document).xpath(f"{path}/text()", namespaces=NS)


WHEN = datetime(2026, 5, 4, 12, 30, 15, tzinfo=UTC)


# --- what a feed holds -----------------------------------------------------------


def test_user_feed_holds_the_20_newest_posts_newest_first(app, client, make_user):
    make_user("alice", about_me="I watch birds.")
    ids = [
        publish(app, "alice", f"post number {n}", at=WHEN + timedelta(minutes=n))
        for n in range(22)
    ]
    feed = parsed(client.get("/user/alice/feed.atom"))
    assert feed.feed.title == "alice · Wren"
    assert feed.feed.subtitle == "I watch birds."
    assert feed.feed.id == f"{PUBLIC}/user/alice/feed.atom"
    links = {link.rel: link for link in feed.feed.links}
    assert links["alternate"].href == f"{PUBLIC}/user/alice"
    assert links["alternate"].type == "text/html"
    assert links["self"].href == f"{PUBLIC}/user/alice/feed.atom"
    assert feed.feed.author_detail == {"name": "alice", "href": f"{PUBLIC}/user/alice"}
    assert feed.feed.updated == iso(WHEN + timedelta(minutes=21))
    assert [entry.title for entry in feed.entries] == [
        f"post number {n}" for n in range(21, 1, -1)
    ]
    newest = feed.entries[0]
    assert newest.id == newest.link == f"{PUBLIC}/post/{ids[-1]}"
    assert newest.published == newest.updated == iso(WHEN + timedelta(minutes=21))
    assert newest.author_detail == {"name": "alice", "href": f"{PUBLIC}/user/alice"}
    assert newest.content[0].type == "text/html"
    assert newest.content[0].value == "post number 21"


def test_tag_feed_holds_the_tags_posts_with_their_authors_and_links(
    app, client, make_user
):
    make_user("alice")
    make_user("bob")
    first = publish(app, "alice", "Dawn chorus #Birds", at=WHEN)
    reply = publish(
        app,
        "bob",
        "@alice lovely #birds https://example.com/a?b=1&c=2",
        at=WHEN + timedelta(hours=1),
        in_reply_to=first,
    )
    publish(app, "bob", "nothing to see #cats", at=WHEN + timedelta(hours=2))
    response = client.get("/tag/birds/feed.atom")
    feed = parsed(response)
    assert feed.feed.title == "#birds · Wren"
    assert feed.feed.link == f"{PUBLIC}/tag/birds"
    assert feed.feed.updated == iso(WHEN + timedelta(hours=1))
    assert [(e.id, e.author) for e in feed.entries] == [
        (f"{PUBLIC}/post/{reply}", "bob"),
        (f"{PUBLIC}/post/{first}", "alice"),
    ]
    answer, original = feed.entries
    assert original.title == "Dawn chorus #Birds"
    assert [tag.term for tag in original.tags] == ["birds"]
    # The reply says what it answers, in its title and by RFC 4685.
    assert answer.title.startswith("Replying to @alice: ")
    assert answer["thr_in-reply-to"]["ref"] == f"{PUBLIC}/post/{first}"
    assert answer["thr_in-reply-to"]["href"] == f"{PUBLIC}/post/{first}"
    # The content is the card's HTML, with absolute links.
    html = answer.content[0].value
    assert f'<a class="mention" href="{PUBLIC}/user/alice">@alice</a>' in html
    assert f'<a class="hashtag" href="{PUBLIC}/tag/birds">#birds</a>' in html
    assert 'href="https://example.com/a?b=1&amp;c=2"' in html
    assert "nothing to see" not in response.get_data(as_text=True)


def test_a_reply_to_a_deleted_post_still_says_it_is_a_reply(app, client, make_user):
    make_user("alice")
    make_user("bob")
    first = publish(app, "alice", "soon gone")
    publish(app, "bob", "an answer", in_reply_to=first)
    delete(app, first)
    (entry,) = parsed(client.get("/user/bob/feed.atom")).entries
    assert entry.title == "Replying to a deleted post: an answer"
    assert entry["thr_in-reply-to"]["ref"] == f"{PUBLIC}/post/{first}"


def test_a_long_post_gets_a_short_plain_title(app, client, make_user):
    make_user("alice")
    body = "word " * 50 + "\n\nlast line"
    publish(app, "alice", body)
    (entry,) = parsed(client.get("/user/alice/feed.atom")).entries
    assert len(entry.title) <= 80
    assert entry.title.endswith("…")
    assert "\n" not in entry.title
    assert body.split()[:5] == entry.title.split()[:5]


def test_an_edited_post_shows_its_edit_time_as_updated(app, client, make_user):
    make_user("alice")
    post_id = publish(app, "alice", "first draft", at=WHEN)
    edit(app, post_id, "second draft")
    feed = parsed(client.get("/user/alice/feed.atom"))
    (entry,) = feed.entries
    assert entry.published == iso(WHEN)
    assert entry.updated > iso(WHEN)
    assert feed.feed.updated == entry.updated
    assert entry.content[0].value == "second draft"


def test_empty_feeds_have_a_fixed_updated_time(app, client, make_user):
    alice = make_user("alice")
    first = client.get("/user/alice/feed.atom")
    feed = parsed(first)
    assert feed.entries == []
    assert feed.feed.updated == iso(alice.created_at)
    again = client.get("/user/alice/feed.atom")
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    tag = parsed(client.get("/tag/unused/feed.atom"))
    assert tag.entries == []
    assert tag.feed.updated == "1970-01-01T00:00:00+00:00"


# --- addresses -----------------------------------------------------------------


def test_unknown_user_is_404(client):
    assert client.get("/user/nobody/feed.atom").status_code == 404


def test_tag_feed_redirects_to_the_lower_case_tag(client):
    response = client.get("/tag/Birds/feed.atom")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/tag/birds/feed.atom")


@pytest.mark.parametrize("tag", ["not-a-tag", "a" * 65, "%20"])
def test_what_is_not_a_tag_has_no_feed(client, tag):
    assert client.get(f"/tag/{tag}/feed.atom").status_code == 404


def test_unicode_tags_have_feeds(app, client, make_user):
    make_user("alice")
    publish(app, "alice", "Bonjour #Été")
    response = client.get("/tag/%C3%89t%C3%A9/feed.atom")
    assert response.status_code == 301
    feed = parsed(client.get(response.headers["Location"]))
    assert feed.feed.title == "#été · Wren"
    assert feed.feed.link == f"{PUBLIC}/tag/%C3%A9t%C3%A9"
    assert [entry.title for entry in feed.entries] == ["Bonjour #Été"]


def all_urls(document: bytes) -> list[str]:
    root = etree.fromstring(document)
    urls = root.xpath(
        "//@href | //@ref | //atom:id/text() | //atom:uri/text()", namespaces=NS
    )
    urls += root.xpath("//atom:icon/text()", namespaces=NS)
    for content in root.xpath("//atom:content/text()", namespaces=NS):
        urls += re.findall(r'href="([^"]+)"', content)
    return [str(url) for url in urls]


HOSTILE = {"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Prefix": "/evil"}


@pytest.mark.parametrize("path", ["/user/bob/feed.atom", "/tag/birds/feed.atom"])
def test_feed_urls_come_from_public_url_never_from_the_request(
    app, client, make_user, path
):
    make_user("alice")
    make_user("bob")
    first = publish(app, "alice", "hello #birds")
    publish(app, "bob", "@alice yes #birds", in_reply_to=first)
    response = client.get(path, headers=HOSTILE)
    parsed(response)
    urls = all_urls(response.data)
    assert len(urls) > 8
    assert all(url.startswith(PUBLIC + "/") for url in urls), urls
    assert EVIL not in response.get_data(as_text=True)
    assert "/evil" not in response.get_data(as_text=True)


def test_production_feed_urls_ignore_a_trusted_alias_and_forwarded_host(
    make_production_app, make_user
):
    site = make_production_app(
        PUBLIC_URL=PUBLIC,
        TRUSTED_HOSTS="localhost, alias.example.net",
        FORCE_HTTPS="false",
    )
    make_user("alice")
    with site.app_context():
        posts.publish(user_named("alice"), "hello #birds")
    client = site.test_client()
    for path in ("/user/alice/feed.atom", "/tag/birds/feed.atom"):
        response = client.get(
            path, headers={"Host": "alias.example.net", "X-Forwarded-Host": EVIL}
        )
        parsed(response)
        urls = all_urls(response.data)
        assert urls
        assert all(url.startswith(PUBLIC + "/") for url in urls), urls
        assert client.get(path, headers={"Host": EVIL}).status_code == 400


def test_without_public_url_testing_links_follow_the_request_host(make_app, make_user):
    local = make_app(PUBLIC_URL="")
    make_user("alice")
    response = local.test_client().get("/user/alice/feed.atom")
    assert parsed(response).feed.id == "http://localhost/user/alice/feed.atom"


# --- validity and hostile text ---------------------------------------------------


def build_world(app, make_user) -> None:
    make_user("alice", about_me="Birds & <b>bees</b>")
    make_user("bob")
    first = publish(
        app, "alice", "Dawn chorus #birds @bob https://example.com/?a=1&b=2"
    )
    publish(app, "bob", "@alice yes! #birds #dawn", in_reply_to=first)
    edit(app, first, "Dawn chorus, edited #birds @bob")


FEEDS = [
    "/user/alice/feed.atom",
    "/user/bob/feed.atom",
    "/tag/birds/feed.atom",
    "/tag/dawn/feed.atom",
    "/tag/unused/feed.atom",
]


@pytest.mark.parametrize("path", FEEDS)
def test_feeds_are_valid_atom(app, client, make_user, path):
    build_world(app, make_user)
    make_user("quiet")
    response = client.get(path)
    parsed(response)
    assert schema_errors(response.data) == []


def test_a_user_without_posts_has_a_valid_feed(app, client, make_user):
    make_user("quiet")
    response = client.get("/user/quiet/feed.atom")
    assert parsed(response).entries == []
    assert schema_errors(response.data) == []


def broken(document: bytes, change) -> bytes:
    root = etree.fromstring(document)
    change(root)
    return etree.tostring(root)


def first(root, path: str):
    return root.xpath(path, namespaces=NS)[0]


def drop(path: str):
    def change(root) -> None:
        node = first(root, path)
        node.getparent().remove(node)

    return change


def set_text(path: str, value: str):
    def change(root) -> None:
        first(root, path).text = value

    return change


def add_atom_element(root) -> None:
    etree.SubElement(first(root, "//atom:entry"), f"{{{ATOM}}}mood").text = "odd"


def xhtml_content_without_div(root) -> None:
    content = first(root, "//atom:entry/atom:content")
    content.set("type", "xhtml")


def second_title(root) -> None:
    etree.SubElement(first(root, "//atom:entry"), f"{{{ATOM}}}title").text = "again"


MONTH_13 = "2026-13-01T00:00:00Z"


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/user/alice/feed.atom", drop("//atom:entry/atom:id")),
        ("/user/alice/feed.atom", drop("/atom:feed/atom:title")),
        ("/user/alice/feed.atom", set_text("//atom:entry/atom:updated", "yesterday")),
        ("/user/alice/feed.atom", set_text("/atom:feed/atom:updated", MONTH_13)),
        ("/user/alice/feed.atom", add_atom_element),
        ("/user/alice/feed.atom", xhtml_content_without_div),
        ("/user/alice/feed.atom", second_title),
        # No author on the entry or on the feed: one of the Schematron rules.
        ("/tag/birds/feed.atom", drop("//atom:entry/atom:author")),
    ],
    ids=[
        "entry-without-id",
        "feed-without-title",
        "entry-updated-not-a-date",
        "feed-updated-bad-month",
        "unknown-atom-element",
        "xhtml-without-div",
        "two-titles",
        "entry-without-author",
    ],
)
def test_the_schema_refuses_invalid_feeds(app, client, make_user, path, change):
    build_world(app, make_user)
    document = client.get(path).data
    assert schema_errors(document) == []
    assert schema_errors(broken(document, change)) != []


HOSTILE_TEXT = (
    "A & B ]]> <script>alert('x')</script> &amp; "
    "\u202eevil\u202c \U0001f469\u200d\U0001f469\u200d\U0001f467 e\u0301 "
    "\U0001d518 \ufeff \ufffe #Été"
)


def test_hostile_text_round_trips_through_a_feed_reader(app, client, make_user, auth):
    make_user("alice")
    auth.login("alice")
    # Through the real form: nothing here is a control character, so the
    # post is accepted as it is.
    assert auth.post_form("/", {"body": HOSTILE_TEXT}).status_code == 302
    for path in ("/user/alice/feed.atom", "/tag/%C3%A9t%C3%A9/feed.atom"):
        response = client.get(path)
        assert schema_errors(response.data) == []
        (entry,) = parsed(response).entries
        assert entry.title.startswith("A & B ]]> <script>alert('x')</script> &amp; ")
        html = entry.content[0].value
        escaped = "A &amp; B ]]&gt; &lt;script&gt;alert('x')&lt;/script&gt; &amp;amp;"
        assert escaped in html
        assert "<script" not in html
        for odd in ("\u202eevil\u202c", "\U0001f469\u200d\U0001f469", "e\u0301"):
            assert odd in html
        # XML 1.0 cannot hold U+FFFE: it arrives as the replacement character.
        assert "\U0001d518 \ufeff \ufffd" in html
        assert f'href="{PUBLIC}/tag/%C3%A9t%C3%A9"' in html


def test_a_posts_raw_text_never_breaks_the_xml(app, client, make_user):
    make_user("alice")
    publish(app, "alice", "</content></entry></feed><feed>")
    publish(app, "alice", "<![CDATA[ x ]]> &lt; &#0; &#xFFFF;")
    response = client.get("/user/alice/feed.atom")
    assert schema_errors(response.data) == []
    texts = text_of(response.data, "//atom:entry/atom:title")
    assert texts == [
        "<![CDATA[ x ]]> &lt; &#0; &#xFFFF;",
        "</content></entry></feed><feed>",
    ]


# --- caching -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/user/alice/feed.atom", "/tag/birds/feed.atom"])
def test_an_unchanged_feed_answers_304_without_a_body(app, client, make_user, path):
    make_user("alice")
    publish(app, "alice", "hello #birds")
    first_response = client.get(path)
    assert first_response.status_code == 200
    assert first_response.headers["Cache-Control"] == "public, max-age=5"
    etag = first_response.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=5"
    other = client.get(path, headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200
    assert other.data == first_response.data


def feed_state(client, path: str, etag: str) -> tuple[int, str]:
    response = client.get(path, headers={"If-None-Match": etag})
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/user/alice/feed.atom", "/tag/birds/feed.atom"])
def test_a_new_post_an_edit_and_a_delete_each_change_the_feed(
    app, client, make_user, path
):
    make_user("alice")
    post_id = publish(app, "alice", "one #birds")
    etag = client.get(path).headers["ETag"]

    second = publish(app, "alice", "two #birds")
    status, body = feed_state(client, path, etag)
    assert status == 200
    assert "two #birds" in body
    etag = client.get(path).headers["ETag"]

    edit(app, post_id, "one, edited #birds")
    status, body = feed_state(client, path, etag)
    assert status == 200
    assert "one, edited #birds" in body
    etag = client.get(path).headers["ETag"]

    delete(app, second)
    status, body = feed_state(client, path, etag)
    assert status == 200
    assert "two #birds" not in body
    assert f"/post/{second}<" not in body
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_a_rename_changes_the_feed_and_the_old_address_is_gone(
    app, client, make_user, auth
):
    make_user("alice")
    publish(app, "alice", "hello #birds")
    etag = client.get("/tag/birds/feed.atom").headers["ETag"]
    browser = app.test_client()
    renamed = AuthActions(browser).login("alice")
    assert renamed.status_code == 302
    AuthActions(browser).post_form(
        "/settings/profile", {"username": "alicia", "about_me": ""}
    )
    status, body = feed_state(client, "/tag/birds/feed.atom", etag)
    assert status == 200
    assert "<name>alicia</name>" in body
    assert client.get("/user/alice/feed.atom").status_code == 404
    assert parsed(client.get("/user/alicia/feed.atom")).entries


def test_feeds_are_the_same_for_every_reader(app, client, make_user, auth):
    make_user("alice")
    reader = make_user("reader")
    post_id = publish(app, "alice", "hello #birds")
    anonymous = app.test_client()
    before = {
        path: anonymous.get(path)
        for path in ("/user/alice/feed.atom", "/tag/birds/feed.atom")
    }
    with app.app_context():
        likes.like(db.session.get(User, reader.id), post_id)
        social.follow(db.session.get(User, reader.id), user_named("alice"))
    auth.login("reader")
    for path, seen in before.items():
        # A like changes a count the feed does not show: same document.
        after = anonymous.get(path, headers={"If-None-Match": seen.headers["ETag"]})
        assert after.status_code == 304
        mine = client.get(path)
        assert mine.status_code == 200
        assert mine.data == seen.data
        assert mine.headers["ETag"] == seen.headers["ETag"]
        assert "reader" not in mine.get_data(as_text=True)
        # A logged-in browser's answer may carry its session cookie: no
        # shared cache may keep it.
        assert "private" in mine.headers["Cache-Control"]
        confirmed = client.get(path, headers={"If-None-Match": seen.headers["ETag"]})
        assert confirmed.status_code == 304


# --- cost ----------------------------------------------------------------------


def statements_for(app, client, path: str) -> int:
    assert client.get(path).status_code == 200  # first-request work aside
    with count_statements(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def add_authors(app, count: int, prefix: str) -> None:
    """``count`` new users, each with a reply to alice's first post that
    mentions alice and is tagged #birds; alice posts once more per user."""
    with app.app_context():
        alice = user_named("alice")
        root = db.session.scalar(sa.select(Post.id).where(Post.user_id == alice.id))
        for n in range(count):
            author = User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com")
            author.password_hash = alice.password_hash
            db.session.add(author)
            db.session.commit()
            posts.publish(author, f"@alice hi #birds {n}", in_reply_to=root)
            posts.publish(alice, f"alice again #birds @{prefix}{n}")


PATHS = ["/user/alice/feed.atom", "/tag/birds/feed.atom"]


def test_a_feed_costs_a_fixed_small_number_of_statements(app, client, make_user, auth):
    make_user("alice")
    make_user("reader")
    publish(app, "alice", "first #birds")
    add_authors(app, 1, "few")
    few = {path: statements_for(app, client, path) for path in PATHS}
    add_authors(app, 25, "many")
    many = {path: statements_for(app, client, path) for path in PATHS}
    # The user, then the posts with authors, mentions and tags in one go.
    assert few == many == {PATHS[0]: 2, PATHS[1]: 1}
    assert len(parsed(client.get(PATHS[1])).entries) == 20
    # A logged-in reader adds only the lookup of their login, which every
    # request makes; the feed itself reads nothing about them.
    auth.login("reader")
    logged_in = {path: statements_for(app, client, path) for path in PATHS}
    assert logged_in == {path: count + 1 for path, count in many.items()}


# --- the pages point to their feeds ------------------------------------------------


def head_of(page: str) -> str:
    return page.split("</head>", 1)[0]


ALTERNATE = re.compile(
    r'<link rel="alternate" type="application/atom\+xml"'
    r' title="([^"]+)" href="([^"]+)">'
)


def test_profile_and_tag_pages_link_their_feeds(app, client, make_user):
    make_user("alice")
    make_user("bob")
    publish(app, "alice", "hello #birds")
    # The layout's head is cached as a fragment: each page must still name
    # its own feed.
    for path, title, href in [
        ("/user/alice", "Posts by alice", "/user/alice/feed.atom"),
        ("/user/bob", "Posts by bob", "/user/bob/feed.atom"),
        ("/tag/birds", "Posts tagged #birds", "/tag/birds/feed.atom"),
        ("/tag/cats", "Posts tagged #cats", "/tag/cats/feed.atom"),
    ]:
        page = client.get(path).get_data(as_text=True)
        assert ALTERNATE.findall(head_of(page)) == [(title, href)]
        assert f'href="{href}">' in page.split("</head>", 1)[1]
        parsed(client.get(href))
    explore = client.get("/explore").get_data(as_text=True)
    assert ALTERNATE.findall(head_of(explore)) == []
