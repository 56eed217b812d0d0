"""Pictures in a real browser: Alice posts two pictures with alt text (the
reminder about a missing description stops the first press of Post, the
second goes through), sees them on her card, and changes her avatar; cards
with one to four pictures are shot at desktop and phone sizes, light and
dark. Each page is checked by axe in both themes."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import sqlalchemy as sa
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, expect

from app.extensions import db
from app.models import User
from app.services import media, posts
from tests.e2e.conftest import LiveServer, PageChecker, log_in, shoot
from tests.e2e.test_accessibility import findings_in_both_themes

# (size, top colour, bottom colour): landscapes, a portrait and a square.
SCENES = [
    ((1200, 800), (70, 130, 180), (240, 200, 120)),
    ((800, 1100), (34, 110, 60), (200, 230, 160)),
    ((900, 900), (150, 60, 90), (250, 180, 160)),
    ((1600, 900), (40, 40, 90), (230, 120, 60)),
]


def scene(size: tuple[int, int], top: tuple, bottom: tuple, fmt: str = "JPEG") -> bytes:
    """A picture with something to see: a sky-to-ground gradient, a sun and
    a hill, so crops and scaling show in a screenshot."""
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    picture = Image.composite(
        Image.new("RGB", size, bottom), Image.new("RGB", size, top), gradient
    )
    draw = ImageDraw.Draw(picture)
    r = min(size) // 8
    sun_x, sun_y = width * 0.7, height * 0.25
    draw.ellipse((sun_x - r, sun_y - r, sun_x + r, sun_y + r), fill=(255, 230, 120))
    hill = (-width * 0.2, height * 0.65, width * 0.8, height * 1.6)
    draw.ellipse(hill, fill=(60, 90, 50))
    buffer = io.BytesIO()
    picture.save(buffer, fmt)
    return buffer.getvalue()


def png_file(name: str, colour: tuple) -> dict:
    return {
        "name": name,
        "mimeType": "image/png",
        "buffer": scene((640, 480), colour, (250, 250, 250), "PNG"),
    }


def test_post_two_pictures_and_change_the_avatar(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    server.make_user("alice")
    report: list[str] = []

    def audit(page: Page, label: str) -> None:
        report.extend(findings_in_both_themes(page, label))

    page = new_checked_context().new_page()
    log_in(page, "alice")
    page.goto("/")
    page.locator(".compose-pictures summary").click()
    audit(page, "home with the picture fields open")
    page.locator("#body").fill("Two views from the river walk")
    page.locator("#image-0").set_input_files(png_file("river.png", (40, 90, 160)))
    page.locator("#image-1").set_input_files(png_file("lock.png", (160, 60, 40)))
    page.locator("#alt-0").fill("The river under a blue sky")

    # The second picture has no description: the first press only reminds.
    page.get_by_role("button", name="Post", exact=True).click()
    reminder = page.locator(".alt-reminder")
    expect(reminder).to_be_visible()
    expect(page.locator("#alt-1")).to_be_focused()
    expect(page.locator(".post-media")).to_have_count(0)
    audit(page, "home with the alt text reminder")
    shoot(page, "media-alt-reminder", ("desktop", "phone"))
    page.locator("#alt-1").fill("The old lock gate, red at sunset")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator(".flash-messages")).to_contain_text("Your post is live.")

    card = page.locator(".post-media").first
    expect(card).to_have_class(re.compile(r"\bpost-media-2\b"))
    pictures = card.locator("img")
    expect(pictures).to_have_count(2)
    expect(pictures.nth(0)).to_have_attribute("alt", "The river under a blue sky")
    expect(pictures.nth(1)).to_have_attribute("alt", "The old lock gate, red at sunset")
    expect(card.locator("a").first).to_have_attribute("href", re.compile(r"^/media/"))
    page.wait_for_function(
        "() => [...document.querySelectorAll('.post-media img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    audit(page, "home with a two-picture post")

    # Without a missing description, Post goes through at the first press.
    page.locator(".compose-pictures summary").click()
    page.locator("#body").fill("One more")
    page.locator("#image-0").set_input_files(png_file("one.png", (90, 40, 120)))
    page.locator("#alt-0").fill("A purple evening")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator(".flash-messages")).to_contain_text("Your post is live.")
    expect(page.locator(".post-media")).to_have_count(2)

    # A new avatar, shown in the nav and on her cards.
    page.goto("/settings/avatar")
    audit(page, "avatar settings")
    page.get_by_label("Your picture").set_input_files(
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": scene(*SCENES[2])}
    )
    page.get_by_role("button", name="Upload picture").click()
    expect(page.locator(".flash-messages")).to_contain_text("Your new picture is up.")
    nav_avatar = page.locator("nav img.nav-avatar")
    expect(nav_avatar).to_have_attribute(
        "src", re.compile(r"^/media/[0-9a-f]{64}\.jpg$")
    )
    src = nav_avatar.get_attribute("src")
    shoot(page, "media-avatar-settings", ("desktop", "phone"))
    audit(page, "avatar settings with an uploaded picture")
    page.goto("/")
    expect(page.locator(f"article.post img[src='{src}']").first).to_be_visible()
    page.goto("/settings/avatar")
    page.get_by_role("button", name="Remove picture").click()
    expect(page.locator("nav img.nav-avatar")).not_to_have_attribute("src", src or "")

    assert not report, "axe found serious problems:\n" + "\n".join(report)


def test_cards_with_one_to_four_pictures(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    server.make_user("robin")
    ids = []
    with server.app.test_request_context():
        robin = db.session.scalar(sa.select(User).where(User.username == "robin"))
        for count in range(1, 5):
            uploads = [
                media.accept(scene(*SCENES[i]), f"Scene {i + 1} of {count}", "images")
                for i in range(count)
            ]
            body = f"{count} picture{'s' if count > 1 else ''} from the walk #wrens"
            ids.append(posts.publish(robin, body, uploads=uploads).id)
    page = new_checked_context().new_page()
    report: list[str] = []
    for count, post_id in enumerate(ids, start=1):
        page.goto(f"/post/{post_id}")
        grid = page.locator(".post-media").first
        expect(grid).to_have_class(re.compile(rf"\bpost-media-{count}\b"))
        expect(grid.locator("img")).to_have_count(count)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.post-media img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        # The grid keeps its shape: every picture inside the card's width.
        box = grid.bounding_box()
        assert box is not None
        for i in range(count):
            picture = grid.locator("img").nth(i).bounding_box()
            assert picture is not None
            assert picture["x"] >= box["x"] - 1
            assert picture["x"] + picture["width"] <= box["x"] + box["width"] + 1
        report.extend(findings_in_both_themes(page, f"{count} pictures"))
        shoot(page, f"media-card-{count}", ("desktop", "phone"))
    page.goto("/explore")
    shoot(page, "media-explore", ("desktop", "phone"))
    assert not report, "axe found serious problems:\n" + "\n".join(report)
