"""Pictures through the JSON API: POST /api/media, then media_ids on
POST /api/posts."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.extensions import db
from app.media_models import Media
from app.models import Post
from tests.api_helpers import bearer, obtain_token
from tests.media_helpers import bomb_png, files_under, image_bytes, zip_bytes

PNG = image_bytes("PNG", (640, 480))
MB = 1024 * 1024


@pytest.fixture
def john(client, make_user) -> dict[str, str]:
    make_user("john")
    return bearer(obtain_token(client, "john"))


@pytest.fixture
def mary(client, make_user) -> dict[str, str]:
    make_user("mary")
    return bearer(obtain_token(client, "mary"))


def upload(client, headers, data=PNG, alt="A blue rectangle", filename="x.png"):
    fields = MultiDict({"file": FileStorage(io.BytesIO(data), filename), "alt": alt})
    boundary, body = encode_multipart(fields)
    return client.post(
        "/api/media",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def rows(app) -> tuple[int, int, int]:
    """Posts, media rows, stored files."""
    with app.app_context():
        posts = db.session.scalar(sa.select(sa.func.count(Post.id)))
        media = db.session.scalar(sa.select(sa.func.count(Media.id)))
    return posts, media, len(files_under(app.config["MEDIA_ROOT"]))


def test_upload_then_post_with_the_picture(app, client, john):
    response = upload(client, john)
    assert response.status_code == 201
    picture = response.get_json()
    assert set(picture) == {"id", "url", "thumbnail_url", "alt", "width", "height"}
    assert picture["alt"] == "A blue rectangle"
    assert (picture["width"], picture["height"]) == (640, 480)
    assert picture["url"].startswith("/media/")
    assert picture["url"] != picture["thumbnail_url"]
    served = client.get(picture["thumbnail_url"])
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    served.close()
    assert rows(app) == (0, 1, 2)

    created = client.post(
        "/api/posts", json={"body": "", "media_ids": [picture["id"]]}, headers=john
    )
    assert created.status_code == 201, created.get_json()
    post = created.get_json()
    assert post["body"] == ""
    assert post["media"] == [picture]
    assert client.get(f"/api/posts/{post['id']}", headers=john).get_json()["media"] == [
        picture
    ]
    assert client.get("/api/feed", headers=john).get_json()["items"][0]["media"] == [
        picture
    ]


def test_pictures_keep_the_order_given(app, client, john):
    ids = [
        upload(client, john, image_bytes("PNG", colour=c), alt=c).get_json()["id"]
        for c in ("red", "green", "blue")
    ]
    order = [ids[2], ids[0], ids[1]]
    post = client.post(
        "/api/posts", json={"body": "three", "media_ids": order}, headers=john
    ).get_json()
    assert [m["id"] for m in post["media"]] == order
    assert [m["alt"] for m in post["media"]] == ["blue", "red", "green"]


@pytest.mark.parametrize(
    ("make_ids", "why"),
    [
        (lambda mine, theirs, used: [theirs], "someone else's"),
        (lambda mine, theirs, used: [used], "already used"),
        (lambda mine, theirs, used: [mine, 999999], "unknown"),
        (lambda mine, theirs, used: [mine, mine], "twice"),
    ],
)
def test_media_ids_that_are_not_yours_to_use_are_422_and_change_nothing(
    app, client, john, mary, make_ids, why
):
    mine = upload(client, john).get_json()["id"]
    theirs = upload(client, mary, image_bytes("PNG", colour="red")).get_json()["id"]
    used = upload(client, john, image_bytes("PNG", colour="gold")).get_json()["id"]
    assert (
        client.post(
            "/api/posts", json={"body": "a", "media_ids": [used]}, headers=john
        ).status_code
        == 201
    )
    before = rows(app)
    response = client.post(
        "/api/posts",
        json={"body": "b", "media_ids": make_ids(mine, theirs, used)},
        headers=john,
    )
    assert response.status_code == 422, why
    assert "media_ids" in response.get_json()["detail"]["json"]
    assert rows(app) == before
    with app.app_context():
        free = db.session.scalars(sa.select(Media.id).where(Media.post_id.is_(None)))
        assert set(free) == {mine, theirs}


def test_more_than_four_media_ids_is_422(app, client, john):
    ids = [
        upload(client, john, image_bytes("PNG", colour=c)).get_json()["id"]
        for c in ("red", "green", "blue", "gold", "pink")
    ]
    response = client.post(
        "/api/posts", json={"body": "x", "media_ids": ids}, headers=john
    )
    assert response.status_code == 422
    assert "media_ids" in response.get_json()["detail"]["json"]
    assert rows(app)[0] == 0


def test_a_post_without_text_or_pictures_is_422(client, john):
    response = client.post("/api/posts", json={"body": " "}, headers=john)
    assert response.status_code == 422
    assert response.get_json()["detail"]["json"]["body"] == [
        "Write something in the post."
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a picture"),
        (b"<html><script>alert(1)</script></html>", "not a picture"),
        (PNG + b"<script>alert(1)</script>", "more data after the end"),
        (image_bytes("JPEG") + zip_bytes(), "more data after the end"),
        (PNG[:-30], "damaged"),
        (bomb_png(), "40 megapixels"),
        (b"", "Choose a picture"),
    ],
)
def test_refused_uploads_are_422_and_store_nothing(app, client, john, data, message):
    response = upload(client, john, data, filename="../../evil.png")
    assert response.status_code == 422
    (reason,) = response.get_json()["detail"]["files"]["file"]
    assert message in reason
    assert rows(app) == (0, 0, 0)


def test_alt_text_is_checked(app, client, john):
    response = upload(client, john, alt="x" * 1501)
    assert response.status_code == 422
    assert "alt" in response.get_json()["detail"]["form_and_files"]
    assert upload(client, john, alt="bell\x07").status_code == 422
    assert rows(app) == (0, 0, 0)


def test_an_upload_needs_a_token_and_a_multipart_body(app, client, john):
    assert upload(client, {}).status_code == 401
    response = client.post("/api/media", json={"file": "x"}, headers=john)
    assert response.status_code == 415
    assert rows(app) == (0, 0, 0)


def test_an_upload_over_10_mb_is_refused(app, client, john):
    # Just over 10 MB: within the request limit, refused by the size check.
    response = upload(client, john, PNG + b"\0" * (10 * MB))
    assert response.status_code == 422
    # Far over: refused before the body is read.
    assert upload(client, john, b"\0" * (12 * MB)).status_code == 413
    assert rows(app) == (0, 0, 0)


def test_the_api_answers_in_english(client, john):
    headers = {**john, "Accept-Language": "es"}
    response = upload(client, headers, b"not a picture")
    assert "not a picture" in response.get_json()["detail"]["files"]["file"][0]
