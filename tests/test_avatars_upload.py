"""Uploading your own avatar: /settings/avatar and going back to the default."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import User
from tests.api_helpers import bearer, obtain_token
from tests.media_helpers import files_under, image_bytes, jpeg_with_gps

MB = 1024 * 1024


def send_avatar(auth, data: bytes, filename: str = "me.jpg"):
    fields = MultiDict(
        {
            "csrf_token": auth.csrf_token("/settings/avatar"),
            "avatar": FileStorage(io.BytesIO(data), filename),
        }
    )
    boundary, body = encode_multipart(fields)
    return auth.client.post(
        "/settings/avatar",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def avatar_of(app, username: str = "john") -> str | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(User.avatar).where(User.username == username)
        )


@pytest.fixture
def john(make_user, auth):
    user = make_user("john")
    auth.login("john")
    return user


def test_an_uploaded_avatar_is_square_and_shows_everywhere(app, client, auth, john):
    client.get("/")  # the nav and the feed's cards are cached with the old one
    auth.post_form("/", {"body": "a post before the new picture"})
    assert "gravatar.com" in client.get("/").get_data(as_text=True)

    response = send_avatar(auth, jpeg_with_gps((900, 600)))
    assert response.status_code == 302
    name = avatar_of(app)
    assert name is not None
    path = Path(app.config["MEDIA_ROOT"]) / name[:2] / name
    with Image.open(path) as picture:
        assert picture.size == (400, 400)
        assert len(picture.getexif()) == 0
    url = f"/media/{name}"
    home = client.get("/").get_data(as_text=True)
    # In the nav and on the card written before the change.
    assert home.count(f'src="{url}"') == 2
    assert "gravatar.com" not in home
    assert f'src="{url}"' in client.get("/user/john").get_data(as_text=True)
    token = obtain_token(client, "john")
    me = client.get("/api/me", headers=bearer(token)).get_json()
    assert me["avatar_url"] == url
    feed = client.get("/api/feed", headers=bearer(token)).get_json()
    assert feed["items"][0]["author"]["avatar_url"] == url


def test_a_small_picture_is_cropped_not_enlarged(app, auth, john):
    send_avatar(auth, image_bytes("PNG", (120, 80)), "small.png")
    name = avatar_of(app)
    assert name.endswith(".png")
    with Image.open(Path(app.config["MEDIA_ROOT"]) / name[:2] / name) as picture:
        assert picture.size == (80, 80)


def test_removing_the_avatar_goes_back_to_the_default_and_deletes_the_file(
    app, client, auth, john
):
    send_avatar(auth, image_bytes("JPEG", (500, 500)))
    assert len(files_under(app.config["MEDIA_ROOT"])) == 1
    response = auth.post_form("/settings/avatar/delete", {}, page="/settings/avatar")
    assert response.status_code == 302
    assert avatar_of(app) is None
    assert files_under(app.config["MEDIA_ROOT"]) == []
    assert "gravatar.com" in client.get("/user/john").get_data(as_text=True)


def test_a_new_avatar_replaces_the_old_file(app, auth, john):
    send_avatar(auth, image_bytes("JPEG", (500, 500), "red"))
    first = avatar_of(app)
    send_avatar(auth, image_bytes("JPEG", (500, 500), "blue"))
    second = avatar_of(app)
    assert first != second
    assert [p.name for p in files_under(app.config["MEDIA_ROOT"])] == [second]


def test_two_people_with_the_same_avatar_share_one_file(app, auth, make_user, john):
    picture = image_bytes("JPEG", (500, 500), "teal")
    send_avatar(auth, picture)
    auth.logout()
    make_user("mary")
    auth.login("mary")
    send_avatar(auth, picture)
    assert avatar_of(app, "mary") == avatar_of(app, "john")
    auth.post_form("/settings/avatar/delete", {}, page="/settings/avatar")
    assert len(files_under(app.config["MEDIA_ROOT"])) == 1  # john still uses it


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "not a picture"),
        (image_bytes("PNG") + b"<html>", "more data after the end"),
        (b"", "Choose a picture to upload."),
    ],
)
def test_a_refused_avatar_is_a_form_error_and_keeps_the_old_one(
    app, auth, john, data, message
):
    send_avatar(auth, image_bytes("JPEG", (300, 300)))
    before = avatar_of(app)
    response = send_avatar(auth, data, "face.png")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert avatar_of(app) == before
    assert len(files_under(app.config["MEDIA_ROOT"])) == 1


def test_an_avatar_over_the_limit_is_413(app, auth, john):
    assert send_avatar(auth, b"\xff" * (12 * MB)).status_code == 413
    assert avatar_of(app) is None


def test_the_avatar_pages_need_a_login(client):
    assert client.get("/settings/avatar").status_code == 302
    assert client.post("/settings/avatar/delete").status_code in (302, 400)


def test_the_avatar_page_is_not_cached(client, john):
    response = client.get("/settings/avatar")
    assert response.status_code == 200
    assert response.cache_control.no_store
