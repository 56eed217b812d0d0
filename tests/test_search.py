"""Full-text search: the query syntax, hostile input, highlighting, paging,
people, the API, the index kept in step with writes, and `flask search`.

Runs on SQLite (FTS5) and, with WREN_TEST_DATABASE_URL, on PostgreSQL
(tsvector + GIN): the same assertions hold on both.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User
from app.services import posts, search
from tests.api_helpers import bearer, obtain_token
from tests.statements import count_statements

POSTS = {
    "walk": "Morning walk by the river with the dog",
    "walked": "We walked to the market and bought bread",
    "coffee": "Strong coffee before the release #shipit",
    "phrase": "The quick brown fox jumps over the lazy dog",
    "shuffled": "The brown quick fox is lazy",
    "cafe": "Best café in town, says @bob",
    "tea": "Tea in the garden, no coffee today #garden",
}


@pytest.fixture
def world(app, make_user):
    """alice wrote most posts; bob wrote the tea post and is mentioned once."""
    make_user("alice", about_me="I love birds and rivers")
    make_user("bob", about_me="Coffee person")
    make_user("bobby")
    ids = {}
    with app.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        bob = db.session.scalar(sa.select(User).where(User.username == "bob"))
        for name, body in POSTS.items():
            author = bob if name == "tea" else alice
            ids[name] = posts.publish(author, body).id
    return ids


def found(client, q: str, **args: str) -> list[int]:
    """Ids of the post cards the search page shows for ``q``."""
    response = client.get("/search", query_string={"q": q, **args})
    assert response.status_code == 200, response.status_code
    return [
        int(i) for i in re.findall(r'id="post-(\d+)"', response.get_data(as_text=True))
    ]


def names(world: dict[str, int], ids: list[int]) -> list[str]:
    by_id = {v: k for k, v in world.items()}
    return [by_id[i] for i in ids]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("walk", ["walked", "walk"]),  # stemmed, newest first
        ("WALKING", ["walked", "walk"]),
        ("river dog", ["walk"]),  # every word must match
        ('"quick brown fox"', ["phrase"]),  # in a row
        ("quick brown fox", ["shuffled", "phrase"]),
        ("dog -river", ["phrase"]),  # excluded
        ('fox -"lazy dog"', ["shuffled"]),
        ("café", ["cafe"]),
        ("CAFÉ", ["cafe"]),
        ("#shipit", ["coffee"]),
        ("#SHIPIT coffee", ["coffee"]),
        ("#shipit, coffee.", ["coffee"]),
        ("@bob!", ["tea", "cafe"]),
        ("coffee -#garden", ["coffee"]),
        ("@bob", ["tea", "cafe"]),  # by bob, or mentioning him
        ("@bob café", ["cafe"]),
        ("@alice coffee", ["coffee"]),
        ("coffee -@bob", ["coffee"]),
        ("#nosuchtag", []),
        ("@nobody_here", []),
        ("zebra", []),
    ],
)
def test_query_syntax(client, world, q, expected):
    assert names(world, found(client, q)) == expected


HOSTILE = [
    "NEAR(walk dog)",
    "walk OR dog",
    "walk AND dog",
    "NOT walk",
    "walk*",
    "*",
    "^walk",
    "body:walk",
    "col:",
    '"unbalanced',
    'walk "',
    '""',
    "((((",
    ")",
    "-",
    "--walk",
    "-walk",
    "'; DROP TABLE posts; --",
    "walk\x00dog",
    "\x00",
    "\x1b[31mwalk",
    "wa\u200blk",
    "\U0001f426 walk",
    "🐦",
    "ǅ ß ﬃ İ",
    "walk " * 2000,  # 10 KB
    "x" * 10_000,
    "#" + "a" * 100,
    "@" + "b" * 100,
    "@",
    "#",
    "&&& !! <-> :*",
    "%_%",
    "coffee -the",  # stop words: nothing to find or leave out on PostgreSQL
    "the",
    '"of the" -"and or"',
    "#garden -@bob -walk",
    "-#garden -@bob",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_give_a_page_never_an_error(client, world, q):
    for kind in ("posts", "users"):
        for sort in ("newest", "best"):
            response = client.get(
                "/search", query_string={"q": q, "type": kind, "sort": sort}
            )
            assert response.status_code == 200, (q, kind, sort)
            assert b"<h1" in response.data


@pytest.mark.parametrize(
    "raw", ["%ED%A0%80walk", "%FF%FEwalk", "%C0%AFwalk", "walk%00", "%F4%90%80%80"]
)
def test_invalid_utf8_and_surrogates_are_not_an_error(client, world, raw):
    for kind in ("posts", "users"):
        response = client.get(f"/search?type={kind}&q={raw}")
        assert response.status_code == 200
        assert b"<h1" in response.data


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("NEAR(walk dog)", []),  # "near" is a word too, and must match
        ("NEAR(walk, river) dog", []),
        ("river NEAR dog", []),
        ("walk*", ["walked", "walk"]),
        ("*", []),
        ('"unbalanced', []),
        ('"quick brown', ["phrase"]),
        ("walk\x00dog", ["walk"]),
        ("walk " * 2000, ["walked", "walk"]),
    ],
)
def test_hostile_queries_are_read_as_words(client, world, q, expected):
    assert names(world, found(client, q)) == expected


def test_or_is_not_an_operator(client, world):
    # A word to find on SQLite, a stop word PostgreSQL leaves out: either
    # way not "walk or dog", which would find the fox's post too.
    assert set(names(world, found(client, "walk OR dog"))) <= {"walk"}


def test_accents_are_ignored_on_sqlite(client, world, app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL's english configuration keeps accents")
    assert names(world, found(client, "cafe")) == ["cafe"]


def test_marks_matches_and_lets_no_html_through(client, app, make_user):
    author = make_user("mallory")
    with app.app_context():
        user = db.session.get(User, author.id)
        body = (
            "<script>alert(1)</script> <mark>walking</mark> \ue000x\ue001 "
            "#walk @mallory"
        )
        post_id = posts.publish(user, body).id
    html = client.get("/search?q=walk").get_data(as_text=True)
    card = html[html.index(f'id="post-{post_id}"') :]
    card = card[: card.index("</article>")]
    assert "<script>" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "&lt;mark&gt;<mark>walking</mark>&lt;/mark&gt;" in card
    assert card.count("<mark>") == 2  # the word and the tag's word
    assert '<a class="hashtag" href="/tag/walk">#<mark>walk</mark></a>' in card


def test_marks_stay_inside_links_mentions_and_tags(client, world):
    html = client.get("/search", query_string={"q": "@bob #shipit"}).get_data(
        as_text=True
    )
    assert "<mark>" not in html  # no post is tagged #shipit and by/mentioning bob
    html = client.get("/search", query_string={"q": "café @bob"}).get_data(as_text=True)
    assert '<a class="mention" href="/user/bob"><mark>@bob</mark></a>' in html
    assert "<mark>café</mark>" in html


def test_empty_query_shows_the_form(client, world):
    for path in ("/search", "/search?q=", "/search?q=%20%20", "/search?type=users"):
        response = client.get(path)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'role="search"' in page
        assert 'id="post-' not in page
        assert "Nothing found" not in page


def test_nothing_found_says_so(client, world):
    page = client.get("/search?q=zebra").get_data(as_text=True)
    assert "Nothing found for “zebra”." in page


def test_the_nav_has_a_search_box_that_leads_to_the_page(client, world, auth):
    for logged_in in (False, True):
        if logged_in:
            auth.login("alice")
        page = client.get("/explore").get_data(as_text=True)
        nav = page[page.index("<nav") : page.index("</nav>")]
        assert 'role="search"' in nav
        assert 'action="/search"' in nav
        assert 'for="nav-search-q"' in nav
        assert 'name="q"' in nav


def test_pages_newest_first_with_before(app, client, make_user, monkeypatch):
    app.config["POSTS_PER_PAGE"] = 3
    author = make_user("pager")
    with app.app_context():
        user = db.session.get(User, author.id)
        ids = [posts.publish(user, f"wren number {i}").id for i in range(8)]
    first = found(client, "wren")
    assert first == ids[::-1][:3]
    page = client.get("/search?q=wren").get_data(as_text=True)
    more = re.search(r'href="([^"]+)">More results', page)
    assert more is not None
    second_url = more.group(1).replace("&amp;", "&")
    assert "q=wren" in second_url
    second = [
        int(i)
        for i in re.findall(
            r'id="post-(\d+)"', client.get(second_url).get_data(as_text=True)
        )
    ]
    assert second == ids[::-1][3:6]
    assert found(client, "wren", before=str(ids[2])) == [ids[1], ids[0]]
    assert client.get("/search?q=wren&before=abc").status_code == 404


def test_best_first_ranks_the_closer_match_first(client, app, make_user):
    author = make_user("ranker")
    with app.app_context():
        user = db.session.get(User, author.id)
        strong = posts.publish(user, "garden garden garden garden").id
        posts.publish(user, "a long post about many things and one garden and more")
    assert found(client, "garden", sort="best")[0] == strong
    assert found(client, "garden")[0] != strong


def test_edits_and_deletes_are_searched_as_they_are(app, client, world):
    assert names(world, found(client, "fox")) == ["shuffled", "phrase"]
    with app.app_context():
        post = db.session.get(Post, world["phrase"])
        posts.edit(post, post.author, "A slow green turtle")
    assert names(world, found(client, "fox")) == ["shuffled"]
    assert names(world, found(client, "turtle")) == ["phrase"]
    with app.app_context():
        post = db.session.get(Post, world["shuffled"])
        posts.delete(post, post.author)
    assert found(client, "fox") == []


def test_deleted_accounts_posts_vanish_from_search(app, client, world):
    from app.services import operators

    assert names(world, found(client, "coffee")) == ["tea", "coffee"]
    with app.app_context():
        operators.delete_user(operators.get_user("bob"))
    assert names(world, found(client, "coffee")) == ["coffee"]
    assert names(world, found(client, "garden")) == []


def test_people_by_name_prefix_and_about_text(client, world):
    def people(q: str) -> list[str]:
        response = client.get("/search", query_string={"q": q, "type": "users"})
        assert response.status_code == 200
        return re.findall(
            r'class="fw-semibold" href="/user/(\w+)"', response.get_data(as_text=True)
        )

    assert people("bo") == ["bobby", "bob"]
    assert people("BOB") == ["bobby", "bob"]
    assert people("@bobb") == ["bobby"]
    assert people("birds") == ["alice"]
    assert people("coffee") == ["bob"]
    assert people("zebra") == []


def test_people_without_posts_are_found_and_paged(app, client, make_user):
    app.config["POSTS_PER_PAGE"] = 2
    for name in ("ada", "adam", "adele", "bert"):
        make_user(name, about_me="Quiet reader")

    def people(url: str) -> tuple[list[str], str | None]:
        html = client.get(url).get_data(as_text=True)
        more = re.search(r'href="([^"]+)">More results', html)
        found = re.findall(r'class="fw-semibold" href="/user/(\w+)"', html)
        return found, more.group(1).replace("&amp;", "&") if more else None

    first, more = people("/search?q=a&type=users")
    assert first == ["adele", "adam"]
    assert more is not None
    assert people(more) == (["ada"], None)
    assert people("/search?q=quiet&type=users")[0] == ["bert", "adele"]


def test_api_search_posts_and_users(app, client, world):
    headers = bearer(obtain_token(client, "alice"))
    response = client.get("/api/search?q=walk", headers=headers)
    assert response.status_code == 200
    data = response.get_json()
    assert [item["id"] for item in data["items"]] == [world["walked"], world["walk"]]
    assert data["items"][0]["author"]["username"] == "alice"
    assert data["next_cursor"] is None

    page = client.get("/api/search?q=walk&limit=1", headers=headers).get_json()
    assert [item["id"] for item in page["items"]] == [world["walked"]]
    rest = client.get(
        f"/api/search?q=walk&limit=1&cursor={page['next_cursor']}", headers=headers
    ).get_json()
    assert [item["id"] for item in rest["items"]] == [world["walk"]]

    users = client.get("/api/search?q=bo&type=users", headers=headers).get_json()
    assert [item["username"] for item in users["items"]] == ["bobby", "bob"]
    assert "email" not in users["items"][0]

    for q in HOSTILE[:20]:
        response = client.get("/api/search", query_string={"q": q}, headers=headers)
        assert response.status_code == 200, q
    assert (
        client.get("/api/search?q=walk&type=nope", headers=headers).status_code == 422
    )
    assert client.get("/api/search?q=walk").status_code == 401


def test_anonymous_search_is_briefly_shareable(client, world, auth):
    response = client.get("/search?q=walk")
    assert response.headers["Cache-Control"] == "public, max-age=5"
    auth.login("alice")
    response = client.get("/search?q=walk")
    assert "private" in response.headers["Cache-Control"]


def test_search_page_statements_do_not_grow_with_results(make_app, make_user, auth):
    app = make_app(CACHE_TYPE="NullCache")
    client = app.test_client()
    author = make_user("many")
    with app.app_context():
        user = db.session.get(User, author.id)
        posts.publish(user, "needle in the haystack #hay")
    counts = {}
    for size in (1, 25):
        with app.app_context():
            user = db.session.get(User, author.id)
            for i in range(size):
                posts.publish(user, f"needle number {i} #hay @many")
        for q in ("needle", "#hay", "@many needle"):
            client.get("/search", query_string={"q": q})
            with count_statements(app) as statements:
                assert client.get("/search", query_string={"q": q}).status_code == 200
            counts[(size, q)] = len(statements)
    assert max(counts.values()) <= 2, counts
    assert counts[(1, "needle")] == counts[(25, "needle")]


def test_reindex_command_rebuilds_the_index(app, runner, world):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(
                sa.text("INSERT INTO posts_fts(posts_fts) VALUES ('delete-all')")
            )
            db.session.commit()
            assert search.post_page("walk", None, 10).items == []
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output
    with app.app_context():
        assert [p.id for p in search.post_page("walk", None, 10).items] == [
            world["walked"],
            world["walk"],
        ]


def test_seeded_posts_are_searchable(app, runner):
    result = runner.invoke(
        args=["seed", "--users", "3", "--posts", "50", "--follows", "1"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        body = db.session.scalar(sa.select(Post.body).order_by(Post.id.desc()))
        word = max(body.split(), key=len).strip(".!?:)…")
        page = search.post_page(word, None, 100)
        assert page.items
        assert all(word.lower() in p.body.lower() for p in page.items[:1])


def test_parse_keeps_to_the_limits():
    query = search.parse("a b c d e f g h i j k l")
    assert len(query.text) == search.MAX_TERMS
    query = search.parse('"' + "w " * 50 + '"')
    assert len(query.text[0].words) == search.MAX_PHRASE_WORDS
    assert search.parse("-only -negatives").empty
    assert search.parse("").empty
    assert (
        search.fts5_match(search.parse('near( "x" or').text)
        == '("near" AND "x" AND "or")'
    )


def test_migrations_build_an_index_that_follows_writes(app_env, monkeypatch, tmp_path):
    """`flask db upgrade` indexes the posts already there, and the triggers
    keep later writes in step (SQLite; PostgreSQL's generated column needs
    no triggers)."""
    from flask_migrate import upgrade

    from app import create_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    app = create_app("testing")
    with app.app_context():
        upgrade(revision="5759d16cd511")
        db.session.execute(
            sa.text(
                "INSERT INTO users (username, username_key, email, password_hash, "
                "about_me, created_at, last_seen, is_admin) VALUES ('ann', 'ann', "
                "'ann@example.com', 'x', '', '2026-01-01', '2026-01-01', false)"
            )
        )
        db.session.execute(
            sa.text(
                "INSERT INTO posts (body, created_at, user_id) "
                "VALUES ('an old heron', '2026-01-01', 1)"
            )
        )
        db.session.commit()
        upgrade()
        assert [p.body for p in search.post_page("herons", None, 10).items] == [
            "an old heron"
        ]
        ann = db.session.get(User, 1)
        new = posts.publish(ann, "a new egret")
        assert [p.id for p in search.post_page("egret", None, 10).items] == [new.id]
        posts.edit(new, ann, "a new stork")
        assert search.post_page("egret", None, 10).items == []
        assert [p.id for p in search.post_page("stork", None, 10).items] == [new.id]
        db.session.remove()
        db.engine.dispose()


def test_api_best_first_pages_by_offset(app, client, make_user):
    author = make_user("ranked")
    with app.app_context():
        user = db.session.get(User, author.id)
        ids = [posts.publish(user, "owl " * (i + 1)).id for i in range(5)]
    headers = bearer(obtain_token(client, "ranked"))
    seen = []
    cursor = None
    for _ in range(5):
        query = {"q": "owl", "sort": "best", "limit": 2}
        if cursor:
            query["cursor"] = cursor
        page = client.get("/api/search", query_string=query, headers=headers).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 5
