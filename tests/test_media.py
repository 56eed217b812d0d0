"""Pictures on posts through the pages: checking, storing, showing, serving
and deleting them (tests/test_media_api.py has the API, test_avatars.py the
avatar)."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.extensions import db
from app.media_models import Media
from app.models import Post, User
from app.services import media, moderation, posts
from app.services.media import NAME_RE
from tests.factories import DEFAULT_PASSWORD
from tests.media_helpers import (
    bomb_png,
    files_under,
    image_bytes,
    jpeg_with_gps,
    zip_bytes,
)

PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
MB = 1024 * 1024


def media_root(app) -> Path:
    return Path(app.config["MEDIA_ROOT"])


def post_pictures(auth, pictures, alts=(), body="with pictures", **extra):
    """Send the home page's post form with ``pictures`` (bytes, or
    (bytes, file name) pairs) and their ``alts``."""
    files = []
    for picture in pictures:
        data, name = picture if isinstance(picture, tuple) else (picture, "p.png")
        files.append(FileStorage(io.BytesIO(data), name))
    form = {"body": body, "images": files, "alt": list(alts), **extra}
    form["csrf_token"] = auth.csrf_token("/")
    data, content_type = multipart(form)
    return auth.client.post("/", data=data, content_type=content_type)


def multipart(fields: dict) -> tuple[bytes, str]:
    """A multipart body built in memory (the test client would spool a big
    one to a temporary file that it never closes)."""
    boundary, body = encode_multipart(MultiDict(fields))
    return body, f"multipart/form-data; boundary={boundary}"


def counts(app) -> tuple[int, int, int]:
    """Posts, media rows and stored files."""
    with app.app_context():
        post_count = db.session.scalar(sa.select(sa.func.count(Post.id)))
        media_count = db.session.scalar(sa.select(sa.func.count(Media.id)))
    return post_count, media_count, len(files_under(media_root(app)))


def stored(app) -> list[Media]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Media).order_by(Media.id)).all()
        db.session.expunge_all()
        return list(rows)


def open_stored(app, name: str) -> Image.Image:
    with app.test_request_context(), Image.open(media.path_for(name)) as image:
        image.load()
        return image


@pytest.fixture
def john(make_user, auth):
    user = make_user("john")
    auth.login("john")
    return user


# --- posting ----------------------------------------------------------------


def test_two_pictures_with_alt_text_show_on_the_card(app, client, auth, john):
    response = post_pictures(auth, [PNG, JPEG], ["A blue square", "Also blue"])
    assert response.status_code == 302
    rows = stored(app)
    assert [(row.position, row.alt) for row in rows] == [
        (0, "A blue square"),
        (1, "Also blue"),
    ]
    page = client.get("/").get_data(as_text=True)
    assert 'class="post-media post-media-2"' in page
    for row in rows:
        assert f'href="/media/{row.name}"' in page
        assert f'alt="{row.alt}"' in page
        assert f'width="{row.width}" height="{row.height}"' in page
    assert page.count('loading="lazy" decoding="async"') == 2
    with app.app_context():
        assert db.session.scalar(sa.select(Post.media_count)) == 2


def test_a_post_with_a_picture_needs_no_text(app, client, auth, john):
    assert post_pictures(auth, [PNG], ["Just a picture"], body="").status_code == 302
    assert counts(app)[:2] == (1, 1)
    assert 'alt="Just a picture"' in client.get("/").get_data(as_text=True)


def test_a_post_without_pictures_still_needs_text(app, client, auth, john):
    response = auth.post_form("/", {"body": "   "})
    assert "Write something in the post." in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_empty_picture_slots_are_skipped_and_alt_texts_stay_paired(app, auth, john):
    empty = (b"", "")
    response = post_pictures(auth, [empty, (PNG, "b.png")], ["for empty", "second"])
    assert response.status_code == 302
    assert [row.alt for row in stored(app)] == ["second"]


def test_at_most_four_pictures(app, auth, john):
    pictures = [image_bytes("PNG", colour=c) for c in ("red", "green", "blue", "gold")]
    response = post_pictures(auth, [*pictures, PNG])
    assert "A post can have at most 4 pictures." in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)
    assert post_pictures(auth, pictures).status_code == 302
    assert counts(app)[:2] == (1, 4)


@pytest.mark.parametrize(
    ("alt", "message"),
    [
        ("x" * 1501, "A description can be at most 1500 characters (1501 now)."),
        ("tab\there", "Remove the control characters from the description."),
        ("nul\x00", "Remove the control characters from the description."),
    ],
)
def test_bad_alt_text_is_a_form_error_and_stores_nothing(app, auth, john, alt, message):
    response = post_pictures(auth, [PNG], [alt])
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_alt_text_of_1500_characters_is_kept(app, auth, john):
    assert post_pictures(auth, [PNG], ["y" * 1500]).status_code == 302
    assert stored(app)[0].alt == "y" * 1500


def test_alt_text_is_escaped(app, client, auth, john):
    post_pictures(auth, [PNG], ['"><script>alert(1)</script>'])
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&#34;&gt;&lt;script&gt;" in page


# --- what is refused ----------------------------------------------------------

PNG_WITH_HTML = PNG + b"<html><script>alert(document.cookie)</script></html>"
TRAILING = "more data after the end of the picture"
NOT_A_PICTURE = "That file is not a picture: use a JPEG, PNG, WebP or GIF image."
DAMAGED = "That picture is damaged or incomplete."
REFUSED = [
    pytest.param(
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        NOT_A_PICTURE,
        id="svg",
    ),  # fmt: skip
    pytest.param(
        b"<!doctype html><script>alert(1)</script>", NOT_A_PICTURE, id="html-named-png"
    ),  # fmt: skip
    pytest.param(b"", None, id="empty"),
    pytest.param(b"GIF89a", NOT_A_PICTURE, id="gif-header-only"),
    pytest.param(image_bytes("BMP"), NOT_A_PICTURE, id="bmp"),
    pytest.param(image_bytes("TIFF"), NOT_A_PICTURE, id="tiff"),
    pytest.param(PNG_WITH_HTML, TRAILING, id="png-with-html-appended"),
    pytest.param(PNG + zip_bytes(), TRAILING, id="png-zip-polyglot"),
    pytest.param(JPEG + zip_bytes(), TRAILING, id="jpeg-zip-polyglot"),
    pytest.param(image_bytes("GIF") + b"<script>", TRAILING, id="gif-with-script"),
    pytest.param(image_bytes("WEBP") + b"PK\x03\x04", TRAILING, id="webp-with-zip"),
    pytest.param(PNG[: len(PNG) - 30], DAMAGED, id="truncated-png"),
    pytest.param(JPEG[:-10], DAMAGED, id="truncated-jpeg"),
    pytest.param(bomb_png(), "at most 40 megapixels", id="bomb-20000x20000"),
    pytest.param(bomb_png(8000, 5001), "at most 40 megapixels", id="just-over-40mp"),
]


@pytest.mark.parametrize(("data", "message"), REFUSED)
def test_refused_files_are_a_form_error_and_store_nothing(
    app, auth, john, data, message
):
    response = post_pictures(auth, [(data, "holiday.png")], ["alt"])
    if message is None:  # an empty file field is an empty slot
        assert response.status_code == 302
        assert counts(app)[1:] == (0, 0)
        return
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_one_refused_picture_refuses_the_whole_post(app, auth, john):
    response = post_pictures(auth, [PNG, PNG_WITH_HTML], ["good", "bad"])
    assert TRAILING in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_a_picture_over_10_mb_is_refused(app, auth, john):
    # Valid PNG data, then padding: refused on size before anything else.
    response = post_pictures(auth, [PNG + b"\x00" * (10 * MB)])
    assert "A picture can be at most 10 MB." in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_zero_padding_after_the_end_is_tolerated(app, auth, john):
    assert post_pictures(auth, [PNG + b"\x00" * 64]).status_code == 302


# --- what is stored -------------------------------------------------------------


def test_exif_and_gps_are_gone_and_the_picture_is_upright(app, auth, john):
    original = jpeg_with_gps((80, 60), orientation=6)  # "rotate 90° to view"
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    assert post_pictures(auth, [(original, "IMG_0001.jpg")]).status_code == 302
    (row,) = stored(app)
    assert (row.width, row.height) == (60, 80)
    assert row.content_type == "image/jpeg"
    for name in (row.name, row.thumbnail_name):
        picture = open_stored(app, name)
        assert picture.size == (60, 80)
        assert len(picture.getexif()) == 0
        assert "exif" not in picture.info
        assert b"WrenCam" not in media_root(app).joinpath(name[:2], name).read_bytes()


def test_png_text_and_colour_profile_are_gone(app, auth, john):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location: 51.5N")
    image = Image.new("RGB", (30, 20), "green")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info, icc_profile=b"\x00" * 128)
    post_pictures(auth, [buffer.getvalue()])
    (row,) = stored(app)
    data = media_root(app).joinpath(row.name[:2], row.name).read_bytes()
    assert b"secret location" not in data
    assert b"iCCP" not in data
    assert not open_stored(app, row.name).info.get("Comment")


def test_a_gif_keeps_its_first_frame_as_png(app, auth, john):
    frames = [Image.new("RGB", (20, 20), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    post_pictures(auth, [buffer.getvalue()])
    (row,) = stored(app)
    assert row.name.endswith(".png")
    assert open_stored(app, row.name).convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_large_pictures_are_scaled_down_with_a_small_thumbnail(app, auth, john):
    post_pictures(auth, [image_bytes("JPEG", (4000, 1000))])
    (row,) = stored(app)
    assert (row.width, row.height) == (2048, 512)
    assert open_stored(app, row.name).size == (2048, 512)
    assert open_stored(app, row.thumbnail_name).size == (400, 100)


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/passwd.png",
        "..\\..\\evil.png",
        "evil\x00.png",
        "a" * 5000 + ".png",
        "\u2024\u2024\u2215etc\u2215passwd.png",  # one-dot leaders, division slash
        "<script>.png",
    ],
)
def test_file_names_come_from_the_content_never_the_upload(
    app, auth, john, filename, tmp_path
):
    assert post_pictures(auth, [(PNG, filename)]).status_code == 302
    (row,) = stored(app)
    for name in (row.name, row.thumbnail_name):
        assert NAME_RE.fullmatch(name)
    root = media_root(app)
    on_disk = files_under(root)
    assert {p.name for p in on_disk} == {row.name, row.thumbnail_name}
    assert all(p.parent.parent == root for p in on_disk)
    # Nothing anywhere is named after the upload.
    written = [path.name for path in tmp_path.rglob("*")]
    assert not [n for n in written if "passwd" in n or "evil" in n or "script" in n]


def test_the_same_picture_twice_is_one_file(app, auth, john):
    post_pictures(auth, [PNG], ["first"])
    post_pictures(auth, [PNG], ["second"])
    rows = stored(app)
    assert len(rows) == 2
    assert rows[0].name == rows[1].name
    # A small picture is its own thumbnail: one file for all four names.
    assert len(files_under(media_root(app))) == 1


# --- serving --------------------------------------------------------------------


def test_a_stored_picture_is_served_with_strict_headers(app, client, auth, john):
    post_pictures(auth, [JPEG])
    (row,) = stored(app)
    response = client.get(f"/media/{row.name}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    cache = response.cache_control
    assert cache.public
    assert cache.max_age == 31536000
    assert cache.immutable
    assert (
        response.data == media_root(app).joinpath(row.name[:2], row.name).read_bytes()
    )
    response.close()
    # Pages keep their own policy, which allows pictures from this site.
    assert "img-src 'self'" in client.get("/").headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name",
    [
        "../wren.sqlite",
        "..%2Fwren.sqlite",
        "%2e%2e%2fsecret_key",
        "0" * 64 + ".html",
        "0" * 64 + ".svg",
        "0" * 64 + ".png",  # well formed, but no such file
        "A" * 64 + ".png",
        "0" * 63 + ".png",
        "0" * 64 + ".png.html",
        "0" * 64 + ".png%00.html",
    ],
)
def test_only_stored_names_are_served(app, client, john, name):
    media_root(app).joinpath("00").mkdir(parents=True)
    media_root(app).joinpath("00", "0" * 64 + ".html").write_text("<script>")
    assert client.get(f"/media/{name}").status_code == 404


# --- request size ---------------------------------------------------------------


def photo_jpeg(width: int, height: int, quality: int = 95) -> bytes:
    """A photo-like JPEG: smooth gradients under grain, which JPEG cannot
    squeeze the way it squeezes flat colour."""
    base = Image.linear_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), 40)
    rings = Image.radial_gradient("L").resize((width, height))
    buffer = io.BytesIO()
    Image.merge("RGB", (base, grain, rings)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def ten_mb_photo() -> bytes:
    data = photo_jpeg(3800, 2850)
    assert 8 * MB < len(data) <= 10 * MB, len(data)
    return data


def test_four_pictures_of_nearly_10_mb_post(app, auth, john, ten_mb_photo):
    response = post_pictures(auth, [ten_mb_photo] * 4)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert counts(app)[:2] == (1, 4)


def test_a_post_form_over_the_limit_is_413(app, client, auth, john):
    junk = [FileStorage(io.BytesIO(b"\xff" * (10 * MB)), f"{i}.jpg") for i in range(5)]
    fields = {"csrf_token": auth.csrf_token("/"), "body": "x", "images": junk}
    body, content_type = multipart(fields)
    response = client.post("/", data=body, content_type=content_type)
    assert response.status_code == 413
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize(
    "path", ["/settings/profile", "/auth/login", "/auth/register", "/post/1/like"]
)
def test_other_forms_keep_the_1_mb_limit(app, client, john, path):
    response = client.post(path, data={"body": "x" * (MB + 10)})
    assert response.status_code == 413


def test_the_api_keeps_the_1_mb_limit_for_json(app, client, john):
    response = client.post(
        "/api/posts",
        data=b'{"body": "' + b"x" * MB + b'"}',
        content_type="application/json",
    )
    assert response.status_code == 413


def test_a_10_mb_photo_is_processed_in_under_2_seconds(ten_mb_photo):
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        from app.services import images

        picture = images.picture(ten_mb_photo)
        timings.append(time.perf_counter() - started)
    assert picture.full.width == 2048
    timings.sort()
    print(f"10 MB photo: {len(ten_mb_photo) / MB:.1f} MB, p50 {timings[1]:.2f} s")
    assert timings[1] <= 2.0, timings


# --- deleting -------------------------------------------------------------------


def test_deleting_a_post_deletes_its_files(app, client, auth, john):
    post_pictures(auth, [image_bytes("JPEG", (900, 600))], ["big"])
    assert len(files_under(media_root(app))) == 2  # picture and thumbnail
    with app.app_context():
        post_id = db.session.scalar(sa.select(Post.id))
    auth.post_form(f"/post/{post_id}/delete", {}, page=f"/post/{post_id}/delete")
    assert counts(app) == (0, 0, 0)


def test_a_file_two_people_uploaded_stays_until_both_are_gone(
    app, client, auth, make_user, john
):
    picture = image_bytes("JPEG", (900, 600), "olive")
    post_pictures(auth, [picture], ["john's"])
    auth.logout()
    make_user("mary")
    auth.login("mary")
    post_pictures(auth, [picture], ["mary's"])
    rows = stored(app)
    assert rows[0].name == rows[1].name
    files = files_under(media_root(app))
    assert len(files) == 2
    with app.app_context():
        mary_post = db.session.scalar(
            sa.select(Media.post_id).where(Media.alt == "mary's")
        )
    auth.post_form(f"/post/{mary_post}/delete", {}, page=f"/post/{mary_post}/delete")
    assert files_under(media_root(app)) == files
    served = client.get(f"/media/{rows[0].name}")
    assert served.status_code == 200
    served.close()
    # Deleting the other account removes the last rows, and so the files.
    auth.logout()
    auth.login("john")
    auth.post_form("/settings/delete", {"password": DEFAULT_PASSWORD})
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "john")) is None
    assert counts(app) == (0, 0, 0)


def test_a_moderator_deleting_a_post_deletes_its_files(app, auth, make_user, john):
    post_pictures(auth, [image_bytes("JPEG", (900, 600), "plum")])
    assert len(files_under(media_root(app))) == 2
    moderator_id = make_user("mod", role="moderator").id
    reporter_id = make_user("mary").id
    with app.app_context():
        post = db.session.scalar(sa.select(Post))
        reporter = db.session.get(User, reporter_id)
        report = moderation.report_post(reporter, post.id, "spam", "")
        moderator = db.session.get(User, moderator_id)
        moderation.resolve_report(moderator, report.id, "delete_post", "")
    assert counts(app) == (0, 0, 0)


def test_old_unattached_uploads_are_cleaned_up(app, john):
    from datetime import timedelta

    from app.db_types import utcnow
    from app.media.jobs import remove_unattached_uploads

    with app.test_request_context():
        owner = db.session.scalar(sa.select(User))
        old = media.upload(
            owner, media.accept(image_bytes("PNG", colour="red"), "", "file")
        )
        new = media.upload(
            owner, media.accept(image_bytes("PNG", colour="blue"), "", "file")
        )
        used = media.accept(image_bytes("PNG", colour="gold"), "", "images")
        posts.publish(owner, "kept", uploads=[used])
        old.created_at = utcnow() - timedelta(days=1, minutes=1)
        db.session.commit()
        old_name, new_name = old.name, new.name
    with app.app_context():
        assert remove_unattached_uploads() == 1
    names = {p.name for p in files_under(media_root(app))}
    assert old_name not in names
    assert new_name in names
    assert counts(app)[:2] == (1, 2)


def test_the_clean_up_job_is_registered_for_the_worker(app):
    tasks = app.extensions["jobs"].tasks
    assert "media.remove_unattached" in tasks


# --- cards ----------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_cards_lay_out_one_to_four_pictures(app, client, auth, john, count):
    colours = ["red", "green", "blue", "gold"][:count]
    pictures = [image_bytes("PNG", (600, 400), c) for c in colours]
    post_pictures(auth, pictures, [f"picture {c}" for c in colours])
    page = client.get("/").get_data(as_text=True)
    grid = re.search(r'<div class="post-media post-media-(\d)">(.*?)</div>', page, re.S)
    assert grid is not None
    assert grid.group(1) == str(count)
    assert grid.group(2).count("<img ") == count
    assert grid.group(2).count('class="post-media-item"') == count
    for colour in colours:
        assert f'alt="picture {colour}"' in grid.group(2)
    # Bigger than a thumbnail: the card offers both sizes.
    assert "400w" in grid.group(2)
    assert "600w" in grid.group(2)


def test_the_card_cache_key_holds_the_pictures(app):
    from app.services.timelines import PostView
    from app.web.cards import card_key

    def view(pictures):
        return PostView(1, "b", None, 1, "u", "e", None, None, None, None, 0, 0,
                        len(pictures), (), (), False, pictures)  # fmt: skip

    picture = media.MediaView(1, 1, "a" * 64 + ".png", "b" * 64 + ".png", "x", 5, 5)
    with app.test_request_context():
        keys = {
            card_key(view(())),
            card_key(view((picture,))),
            card_key(view((picture._replace(alt="y"),))),
        }
    assert len(keys) == 3


def test_a_reply_can_have_pictures(app, client, auth, john):
    auth.post_form("/", {"body": "the root"})
    with app.app_context():
        root = db.session.scalar(sa.select(Post.id))
    form = {
        "csrf_token": auth.csrf_token(f"/post/{root}"),
        "body": "",
        "images": [FileStorage(io.BytesIO(PNG), "r.png")],
        "alt": ["A reply in blue"],
    }
    body, content_type = multipart(form)
    response = client.post(f"/post/{root}/reply", data=body, content_type=content_type)
    assert response.status_code == 302
    page = client.get(f"/post/{root}").get_data(as_text=True)
    assert 'alt="A reply in blue"' in page
    # A refused picture is shown by the reply form.
    form["csrf_token"] = auth.csrf_token(f"/post/{root}")
    form["images"] = [FileStorage(io.BytesIO(PNG_WITH_HTML), "r.png")]
    body, content_type = multipart(form)
    response = client.post(f"/post/{root}/reply", data=body, content_type=content_type)
    assert response.status_code == 200
    assert TRAILING in response.get_data(as_text=True)
    assert counts(app)[:2] == (2, 1)
