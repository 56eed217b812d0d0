"""Write PNG screenshots of Wren's main pages, light and dark, desktop and phone.

    python scripts/screenshots.py [--out screenshots] [--docs docs/screenshots]
                                  [--only thread,notifications]

Starts Wren on a throwaway SQLite database with demo content on a free loopback
port, drives Debian's Chromium through Playwright, and stops everything again.
The demo content includes a conversation (a thread with replies, likes, a
mention, tags, a long link and an edited reply) and notifications for ada,
whom the logged-in pages show. ``--only`` shoots just the named pages.
``--docs`` also writes the few small images the README shows (run through
pngquant when it is installed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM as DEBIAN_CHROMIUM  # noqa: E402
from tests.browser import CHROMIUM_ARGS  # noqa: E402  (needs ROOT on sys.path)

CHROMIUM = os.environ.get("CHROMIUM", DEBIAN_CHROMIUM)
PASSWORD = "wren-demo-password"  # noqa: S105 -- demo data only


class _App:
    """The app's config, for pages that need a setting of their own."""

    config: Any = {}


APP = _App()
VIEWPORTS = {"desktop": (1280, 860), "tablet": (820, 1180), "phone": (390, 844)}
THEMES = ("light", "dark")
# (name, path, logged in?)
PAGES = [
    ("landing", "/", False),
    ("login", "/auth/login", False),
    ("register-errors", "/auth/register", False),
    ("feed", "/", True),
    ("feed-empty", "/", "newbie"),
    ("explore", "/explore", True),
    ("profile", "/user/ada", True),
    ("followers", "/user/ada/followers", True),
    ("settings", "/settings/profile", True),
    ("settings-password", "/settings/password", True),
    ("error-404", "/user/nobody-here", False),
    ("error-405", "/auth/logout", False),
    ("menu-open", "/explore", True),
    # The conversation layer; {placeholders} are ids from the demo data.
    ("thread", "/post/{thread}", True),
    ("thread-reply", "/post/{edited}", True),
    ("tag", "/tag/wrens", True),
    ("tag-long", "/tag/{long_tag}", True),
    ("notifications", "/notifications", True),
    ("likes", "/post/{thread}/likes", True),
    ("history", "/post/{edited}/history", True),
    ("edit", "/post/{edited}/edit", True),
    ("delete-confirm", "/post/{edited}/delete?next=/post/{thread}", True),
    # Private messages.
    ("messages", "/messages", True),
    ("conversation", "/messages/grace", True),
    ("search", "/search?q=wrens", True),
    ("search-people", "/search?q=a&type=users", False),
    # Trust and safety: ada is an administrator in the demo data.
    ("admin", "/admin", True),
    ("admin-reports", "/admin/reports", True),
    ("admin-users", "/admin/users?q=", True),
    ("admin-audit", "/admin/audit", True),
    ("report", "/post/{thread}/report", True),
    ("settings-invites", "/settings/invites", True),
    ("waiting-approval", "/auth/login", False),
    # Blocks and mutes: someone's profile with the buttons, a blocked
    # profile, and ada's lists.
    ("profile-other", "/user/grace", True),
    ("profile-blocked", "/user/mallory", True),
    ("settings-blocks", "/settings/blocks", True),
    # Pictures, the data export and failed jobs.
    ("pictures", "/post/{pictures}", True),
    ("compose-pictures", "/", True),
    ("settings-avatar", "/settings/avatar", True),
    ("settings-export", "/settings/export", True),
    ("admin-jobs", "/admin/jobs", True),
]
# The README shows these: (source name, docs name).
DOCS = [
    ("feed-desktop-light", "feed-desktop-light"),
    ("profile-desktop-dark", "profile-desktop-dark"),
    ("feed-phone-dark", "feed-phone-dark"),
    ("landing-phone-light", "landing-phone-light"),
    ("thread-desktop-light", "thread-desktop-light"),
    ("notifications-phone-dark", "notifications-phone-dark"),
]
POSTS = [
    ("ada", "Morning walk by the river: the wrens are back, loud as ever."),
    ("grace", "Shipped the new compiler today. Time for tea."),
    ("ada", "Reading about keyset pagination. Offsets are a trap!"),
    ("linus", "Short posts are a feature, not a limitation."),
    ("grace", "If it's a good idea, go ahead and do it.\nIt's easier to apologise."),
    ("ada", "Anyone know a good bird book for beginners?"),
    ("linus", "Dark mode looks great on my phone."),
]
LINK = (
    "https://example.com/birding/2024/towpath-wrens-near-the-old-lock-gate"
    "-and-the-boathouse?utm_source=wren&utm_medium=post"
)
LONG_TAG = "wrensofthetowpathbetweentheoldlockgateandtheboathouse_2024"
# (key, author, text, age in minutes, replying to key): the thread.
THREAD = [
    (
        "thread",
        "grace",
        f"@ada have you seen the #wrens on the towpath this week? Photos: {LINK}",
        125,
        None,
    ),
    (
        "edited",
        "ada",
        "@grace Yes! Two of them by the lock gate. #wrens #birdwatching",
        110,
        "thread",
    ),
    ("grace-reply", "grace", "@ada Lucky you, I only heard them.", 48, "edited"),
    (
        "linus-reply",
        "linus",
        f"Is that the #{LONG_TAG} spot? Looks lovely.",
        35,
        "thread",
    ),
]
EDITED_TEXT = (
    "@grace Yes! Three of them by the lock gate, loud as ever. #wrens #birdwatching"
)


def build_conversation(users: dict[str, Any], now: Any) -> dict[str, Any]:
    """A thread with replies, likes, a mention, tags and an edited reply, and
    notifications for ada, some of them read. Returns the page ids."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Notification, Post, PostVersion
    from app.services import likes, posts, social

    ids: dict[str, Any] = {"long_tag": LONG_TAG}
    for key, author, body, minutes, parent in THREAD:
        post = posts.publish(users[author], body, in_reply_to=ids.get(parent))
        post.created_at = now - timedelta(minutes=minutes)
        db.session.commit()
        ids[key] = post.id
    edited = db.session.get(Post, ids["edited"])
    posts.edit(edited, users["ada"], EDITED_TEXT)
    edited.edited_at = now - timedelta(minutes=95)
    db.session.execute(
        sa.update(PostVersion)
        .where(PostVersion.post_id == edited.id)
        .values(replaced_at=edited.edited_at)
    )
    for who, key in [
        ("ada", "thread"),
        ("linus", "thread"),
        ("newbie", "thread"),
        ("grace", "edited"),
        ("linus", "edited"),
    ]:
        likes.like(users[who], ids[key])
    social.follow(users["newbie"], users["ada"])
    # Spread the notifications over the last hours; the older ones are read.
    rows = db.session.scalars(
        sa.select(Notification)
        .where(Notification.recipient_id == users["ada"].id)
        .order_by(Notification.id)
    ).all()
    for age, row in zip(range(len(rows) * 17, 0, -17), rows, strict=False):
        row.created_at = now - timedelta(minutes=age)
        row.read = age > 60
    db.session.commit()
    social.follow(users["linus"], users["ada"])  # the newest, unread
    build_messages(users, now)
    build_moderation(users, ids)
    return ids


def build_moderation(users: dict[str, Any], ids: dict[str, Any]) -> None:
    """ada administers: open reports, a pending account, a few audit entries
    and an invite; pat waits for approval."""
    from app.extensions import db
    from app.models import User
    from app.services import invites, moderation

    users["ada"].role = "admin"
    pat = User(username="pat", email="pat@example.com", pending=True)
    pat.set_password(PASSWORD)
    spam = User(username="cheap_seeds", email="seeds@example.com")
    spam.set_password(PASSWORD)
    db.session.add_all([pat, spam])
    db.session.commit()
    moderation.report_post(
        users["newbie"], ids["linus-reply"], "spam", "Same link in every thread."
    )
    moderation.report_user(users["grace"], spam, "abuse", "")
    moderation.suspend(users["ada"], spam, "Selling seeds in every reply")
    moderation.unsuspend(users["ada"], spam)
    moderation.approve(users["ada"], users["newbie"])
    users["ada"].email_confirmed_at = users["ada"].created_at
    invites.create(users["ada"], 5, 7)
    used, _code = invites.create(users["ada"], 1, None)
    used.uses = 1
    db.session.commit()


# (from, to, text, age in minutes): ada's conversations with grace and linus.
MESSAGES = [
    ("grace", "ada", "Are you going to the towpath tomorrow morning?", 300),
    ("ada", "grace", "Yes! Around eight, by the lock gate.", 290),
    ("grace", "ada", f"Lovely. This is where I saw them last week: {LINK}", 280),
    ("ada", "grace", "Perfect.\nI'll bring the binoculars and a flask of tea.", 60),
    ("linus", "ada", "Which bird book did you end up buying?", 30),
    ("linus", "ada", "Asking for a friend (me).", 29),
]


def build_messages(users: dict[str, Any], now: Any) -> None:
    """Two conversations for ada: one read, one with two unread messages."""
    from app.extensions import db
    from app.models import Message
    from app.services import messages

    for sender, recipient, body, minutes in MESSAGES:
        sent = messages.send(users[sender], users[recipient], body)
        db.session.get(Message, sent.id).created_at = now - timedelta(minutes=minutes)
        db.session.commit()
    messages.mark_read(users["ada"], users["grace"])
    messages.mark_read(users["grace"], users["ada"])


def build_app(workdir: Path) -> Any:
    os.environ.update(
        {
            "WREN_CONFIG": "testing",
            "WREN_INSTANCE_PATH": str(workdir / "instance"),
            "DATABASE_URL": f"sqlite:///{workdir / 'wren.sqlite'}",
            "SECRET_KEY": "screenshots-only-not-a-secret",
            "AVATAR_PROVIDER": "local",
            "MAIL_BACKEND": "file",
            "MAIL_FILE_PATH": str(workdir / "mail"),
            "RATELIMIT_ENABLED": "false",
            "POSTS_PER_PAGE": "5",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    from app import create_app
    from app.db_types import utcnow
    from app.extensions import db
    from app.models import Post, User
    from app.services import social

    app = create_app("testing")
    APP.config = app.config
    with app.app_context():
        db.create_all()
        users = {}
        about = {
            "ada": "Birdwatcher, mathematician, occasional poet.\nLondon.",
            "grace": "Compilers and cups of tea.",
            "linus": "",
            "newbie": "",
        }
        now = utcnow()
        for i, (name, text) in enumerate(about.items()):
            user = User(
                username=name,
                email=f"{name}@example.com",
                about_me=text,
                email_confirmed_at=now,
            )
            user.set_password(PASSWORD)
            user.created_at = now - timedelta(days=200 - i * 30)
            db.session.add(user)
            users[name] = user
        db.session.commit()
        ages = [
            timedelta(days=9),
            timedelta(days=3),
            timedelta(hours=20),
            timedelta(hours=5),
            timedelta(minutes=42),
            timedelta(minutes=7),
            timedelta(seconds=20),
        ]
        for (author, body), age in zip(POSTS, ages, strict=True):
            db.session.add(Post(body=body, author=users[author], created_at=now - age))
            db.session.commit()
        from app.services import social

        for a, b in [("ada", "grace"), ("ada", "linus"), ("grace", "ada")]:
            social.follow(users[a], users[b])
        app.config["DEMO_IDS"] = build_conversation(users, now)
        build_blocks(users, now)
        app.config["DEMO_IDS"]["pictures"] = build_pictures(users)
    return app


def demo_picture(width: int, height: int, top: str, bottom: str) -> bytes:
    """A sky-and-hill PNG, drawn here so the demo needs no image files."""
    import io

    from PIL import Image, ImageColor, ImageDraw

    image = Image.new("RGB", (width, height), top)
    draw = ImageDraw.Draw(image)
    a, b = ImageColor.getrgb(top), ImageColor.getrgb(bottom)
    for y in range(height):
        mix = y / height
        colour = tuple(
            round(x * (1 - mix) + z * mix) for x, z in zip(a, b, strict=True)
        )
        draw.line([(0, y), (width, y)], fill=colour)
    draw.ellipse([width * 0.65, height * 0.15, width * 0.85, height * 0.45], "#ffe27a")
    draw.ellipse([-width * 0.2, height * 0.6, width * 0.8, height * 1.6], "#3d5a33")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def build_pictures(users: dict[str, Any]) -> int:
    """grace posts two pictures; ada has her own avatar and a ready export
    (jobs run at once in the testing config)."""
    import io

    from app.services import exports, media, posts

    uploads = [
        media.accept(
            demo_picture(1200, 800, "#6fa8dc", "#f6d7a7"),
            "The towpath at dawn",
            "images",
        ),
        media.accept(
            demo_picture(800, 1000, "#274e13", "#b6d7a8"),
            "A wren on the lock gate",
            "images",
        ),
    ]
    post = posts.publish(
        users["grace"], "Two from this morning's walk #wrens", uploads=uploads
    )
    media.set_avatar(
        users["ada"], io.BytesIO(demo_picture(600, 600, "#8a4f24", "#f3d9b1"))
    )
    exports.start(users["ada"], "http://127.0.0.1/settings/export")
    return post.id


def build_blocks(users: dict[str, Any], now: Any) -> None:
    """Two more accounts, each with a post: ada blocked mallory and muted
    nigel, so her pages show neither."""
    from app.extensions import db
    from app.models import Post, User
    from app.services import blocks

    for name, body in [
        ("mallory", "Buy cheap binoculars now!!! Click here."),
        ("nigel", "Another photo of my lunch."),
    ]:
        user = User(username=name, email=f"{name}@example.com", email_confirmed_at=now)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.add(Post(body=body, author=user, created_at=now))
        db.session.commit()
        users[name] = user
    blocks.block(users["ada"], users["mallory"])
    blocks.mute(users["ada"], users["nigel"])


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("form [name=username]", username)
    page.fill("form [name=password]", PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()


def shoot(
    base: str,
    out: Path,
    ids: dict[str, Any],
    only: set[str] | None = None,
    language: str = "en",
) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for view, (width, height) in VIEWPORTS.items():
            for theme in THEMES:
                sessions: dict[Any, Any] = {}
                for name, path, who in PAGES:
                    if only and name not in only:
                        continue
                    user = "ada" if who is True else who
                    if user not in sessions:
                        context = browser.new_context(
                            viewport={"width": width, "height": height},
                            color_scheme=theme,
                            is_mobile=view == "phone",
                            has_touch=view == "phone",
                            device_scale_factor=1,
                            timezone_id="Europe/London",
                            locale="es-ES" if language == "es" else "en-GB",
                        )
                        page = context.new_page()
                        if user:
                            log_in(page, base, user)
                        sessions[user] = page
                    page = sessions[user]
                    # Invites exist only where registration is by invitation.
                    APP.config["REGISTRATION_MODE"] = (
                        "invite" if name == "settings-invites" else "open"
                    )
                    page.goto(base + path.format(**ids))
                    if name == "waiting-approval":
                        page.fill("form [name=username]", "pat")
                        page.fill("form [name=password]", PASSWORD)
                        page.locator("main form [type=submit]").click()
                        page.wait_for_load_state()
                    if name == "register-errors":
                        page.fill("form [name=username]", "a")
                        page.fill("form [name=email]", "not-an-email")
                        page.locator("main form [type=submit]").click()
                        page.wait_for_load_state()
                    if name == "menu-open":
                        if view != "phone":
                            continue
                        page.locator("button.navbar-toggler").click()
                        page.locator("#nav-menu.show").wait_for()
                    if name == "compose-pictures":
                        page.locator(".compose-pictures summary").click()
                    if name.startswith("feed") and who is True:
                        page.fill("textarea[name=body]", "Writing a post about wrens…")
                    suffix = "" if language == "en" else f"-{language}"
                    target = out / f"{name}{suffix}-{view}-{theme}.png"
                    page.screenshot(path=str(target), full_page=True)
                    written.append(target)
                for page in sessions.values():
                    page.context.close()
        browser.close()
    return written


def publish_docs(out: Path, docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    pngquant = shutil.which("pngquant")
    for source, target in DOCS:
        src = out / f"{source}.png"
        dst = docs / f"{target}.png"
        if pngquant:
            subprocess.run(
                [
                    pngquant,
                    "--force",
                    "--quality=60-85",
                    "--strip",
                    "--output",
                    str(dst),
                    str(src),
                ],
                check=True,
            )
        else:
            shutil.copyfile(src, dst)
        print(f"docs: {dst} ({dst.stat().st_size // 1024} KiB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--docs", type=Path, default=None)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated page names (e.g. thread,tag); default: all",
    )
    parser.add_argument(
        "--lang",
        choices=("en", "es"),
        default="en",
        help="the browser's language; names gain -es (default: en)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    with tempfile.TemporaryDirectory(prefix="wren-shots-") as tmp:
        app = build_app(Path(tmp))
        server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            only = {name for name in args.only.split(",") if name}
            written = shoot(
                f"http://127.0.0.1:{server.server_port}",
                args.out,
                app.config["DEMO_IDS"],
                only,
                args.lang,
            )
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
    print(f"wrote {len(written)} screenshots to {args.out}")
    if args.docs:
        publish_docs(args.out, args.docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
