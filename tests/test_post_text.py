"""Finding links, mentions and tags in post text, and rendering them safely."""

from __future__ import annotations

import pytest

from app.services.post_text import names, segments, tag_key
from app.services.timelines import PostView
from app.web.cards import body_html


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in segments(text)]


def test_segments_cover_the_whole_text_in_order():
    text = "Hi @jenny, see https://example.com/a?b=1#frag and #Birds!\nbye"
    assert "".join(s.text for s in segments(text)) == text
    assert kinds(text) == [
        ("text", "Hi "),
        ("mention", "@jenny"),
        ("text", ", see "),
        ("link", "https://example.com/a?b=1#frag"),
        ("text", " and "),
        ("tag", "#Birds"),
        ("text", "!\nbye"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "mail jenny@example.com",  # an address, not a mention
        "@jenny@example.social",  # a fediverse handle
        "@jo",  # too short for a username
        "a@" + "x" * 10,
    ],
)
def test_not_mentions(text):
    assert names(text).mentions == ()


def test_mentions_are_case_insensitive_and_counted_once():
    assert names("@Jenny and @jenny and @ROBIN_2").mentions == ("jenny", "robin_2")


def test_tags_are_unicode_lowercased_and_counted_once():
    found = names("#Café #café #日本 #snake_case #2026 a#b ##double")
    assert found.tags == ("café", "日本", "snake_case", "2026")


def test_a_tag_of_64_characters_is_a_tag_and_65_is_not():
    assert names("#" + "a" * 64).tags == ("a" * 64,)
    assert names("#" + "a" * 65).tags == ()
    assert tag_key("a" * 65) is None
    assert tag_key("") is None
    assert tag_key("no spaces") is None


def test_only_http_links_with_a_scheme_count():
    text = (
        "javascript:alert(1) ftp://a.example mailto:a@b.example example.com //x.example"
    )
    assert all(s.kind != "link" for s in segments(text))
    assert [
        s.value for s in segments("go http://x.example/ now") if s.kind == "link"
    ] == ["http://x.example/"]


@pytest.mark.parametrize(
    "text", ["http:example.com", "https:/x.example", "http:\\\\x.example", "HTTP:x"]
)
def test_a_scheme_without_its_slashes_is_no_link(text):
    # Texts without "//" skip linkify-it (app.services.post_text).
    assert [s.kind for s in segments(text)] == ["text"]


def test_a_urls_fragment_is_not_a_tag():
    assert names("https://example.com/page#section").tags == ()


def view(body: str, mentions=(), tags=()) -> PostView:
    return PostView(
        id=1,
        body=body,
        created_at=None,
        user_id=1,
        username="a",
        email="a@example.com",
        avatar=None,
        in_reply_to_id=None,
        reply_to_username=None,
        edited_at=None,
        reply_count=0,
        like_count=0,
        mentions=tuple(mentions),
        tags=tuple(tags),
        liked=False,
        media_count=0,
    )


def test_rendering_escapes_everything_and_links_only_what_was_stored(app):
    body = (
        "<script>alert(1)</script> @Jenny @nobody #Tag #other "
        'https://example.com/"onmouseover="x'
    )
    with app.test_request_context():
        html = str(body_html(view(body, mentions=["jenny"], tags=["tag"])))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a class="mention" href="/user/jenny">@Jenny</a>' in html
    assert "@nobody" in html
    assert 'href="/user/nobody"' not in html
    assert '<a class="hashtag" href="/tag/tag">#Tag</a>' in html
    assert "#other" in html
    assert 'href="/tag/other"' not in html
    # A quote in the URL is escaped: it can never close the attribute.
    assert (
        '<a href="https://example.com/&#34;onmouseover=&#34;x" '
        'rel="nofollow noopener ugc">'
    ) in html
    assert '"onmouseover' not in html


def test_a_mention_of_someone_since_renamed_stays_text(app):
    with app.test_request_context():
        html = str(body_html(view("hi @Jenny", mentions=["jenny"])))
        renamed = str(body_html(view("hi @Jenny", mentions=["jenny_wren"])))
    assert 'href="/user/jenny"' in html
    # The stored mention now has another name: the old text stays text.
    assert "href" not in renamed
