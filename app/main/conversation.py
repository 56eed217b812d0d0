"""Threads, replies, likes, edits with history, deleting, tags and
notifications: the pages around a single post."""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.errors.handlers import wants_json
from app.main import pictures
from app.main.forms import PostForm
from app.main.routes import back_to, before_arg, bp, page_size, viewer_id
from app.models import POST_MAX, Post
from app.pagination import parse_cursor
from app.services import DomainError, likes, notifications, post_text, posts, timelines
from app.services.errors import Forbidden, NotFound
from app.web import conditional
from app.web.headers import no_content
from app.web.security import safe_next

# Ids are 32-bit on PostgreSQL, where a larger one is an error, not a 404.
POST = "/post/<int(max=2147483647):post_id>"


def not_found(message: str = posts.NO_SUCH_POST) -> NoReturn:
    abort(404, message)


def post_or_404(post_id: int) -> Post:
    post = posts.get(post_id)
    if post is None:
        not_found()
    return post


def own_post_or_403(post_id: int) -> Post:
    post = post_or_404(post_id)
    if post.user_id != current_user.id:
        abort(403, _l("You can only change your own posts."))
    return post


def after_arg() -> int | None:
    try:
        return parse_cursor(request.args.get("after"))
    except ValueError:
        not_found(_l("That page does not exist."))


def done(default: str) -> ResponseReturnValue:
    """204 for a script's fetch that asked for JSON, else back where the
    form came from."""
    if wants_json():
        return no_content()
    return back_to(default)


# --- threads and replies ---------------------------------------------------


@bp.get(POST)
def thread(post_id: int) -> ResponseReturnValue:
    return thread_page(post_id)


def thread_page(
    post_id: int,
    draft: str = "",
    errors: list[str] | None = None,
    picture_errors: list[str] | None = None,
) -> ResponseReturnValue:
    found = timelines.thread(post_id, after_arg(), page_size(), viewer_id())
    if found is None:
        not_found(posts.missing_message(post_id))
    errors = errors or []
    picture_errors = picture_errors or []
    shown = (found.above, found.post, timelines.page_version(found.replies))
    return conditional.render(
        (*shown, draft, errors, picture_errors),
        "main/thread.html",
        picture_errors=picture_errors,
        thread=found,
        page=found.replies,
        draft=draft,
        errors=errors,
        post_max=POST_MAX,
    )


@bp.post(f"{POST}/reply")
@login_required
def reply(post_id: int) -> ResponseReturnValue:
    post_or_404(post_id)
    form = PostForm()
    picture_errors: list[str] = []
    if form.validate_on_submit():
        try:
            uploads = pictures.from_form()
            new = posts.publish(
                current_user, form.body.data, in_reply_to=post_id, uploads=uploads
            )
        except NotFound:
            not_found()
        except Forbidden as exc:
            abort(403, str(exc))
        except DomainError as exc:
            if exc.field == "body":
                form.body.errors.append(str(exc))
            else:
                picture_errors.append(str(exc))
        else:
            flash(_("Your reply is live."), "success")
            return redirect(url_for("main.thread", post_id=new.id))
    draft, errors = form.body.data or "", list(form.body.errors)
    return thread_page(post_id, draft, errors, picture_errors)


# --- likes -------------------------------------------------------------------


@bp.post(f"{POST}/like")
@login_required
def like(post_id: int) -> ResponseReturnValue:
    try:
        likes.like(current_user, post_id)
    except NotFound:
        not_found()
    except Forbidden as exc:
        abort(403, str(exc))
    return done(url_for("main.thread", post_id=post_id))


@bp.post(f"{POST}/unlike")
@login_required
def unlike(post_id: int) -> ResponseReturnValue:
    try:
        likes.unlike(current_user, post_id)
    except NotFound:
        not_found()
    return done(url_for("main.thread", post_id=post_id))


@bp.get(f"{POST}/likes")
def post_likes(post_id: int) -> ResponseReturnValue:
    post = post_or_404(post_id)
    page = likes.likers_page(post, before_arg(), page_size(), viewer_id())
    return render_template("main/likes.html", post=post, page=page)


# --- edits and deleting ------------------------------------------------------


@bp.route(f"{POST}/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int) -> ResponseReturnValue:
    post = own_post_or_403(post_id)
    form = PostForm()
    if form.validate_on_submit():
        try:
            posts.edit(post, current_user, form.body.data)
        except Forbidden as exc:
            abort(403, str(exc))
        except DomainError as exc:
            form.body.errors.append(str(exc))
        else:
            flash(_("Your post has been updated."), "success")
            return redirect(url_for("main.thread", post_id=post.id))
    draft = form.body.data if request.method == "POST" else post.body
    return render_template(
        "main/edit_post.html",
        post=post,
        draft=draft or "",
        errors=list(form.body.errors),
        post_max=POST_MAX,
    )


@bp.get(f"{POST}/history")
def post_history(post_id: int) -> ResponseReturnValue:
    post = timelines.view(post_id, viewer_id())
    if post is None:
        not_found()
    page = posts.history_page(post.id, before_arg(), page_size())
    return render_template("main/history.html", post=post, page=page)


@bp.get(f"{POST}/delete")
@login_required
def confirm_delete(post_id: int) -> ResponseReturnValue:
    own_post_or_403(post_id)
    return render_template(
        "main/delete_post.html",
        post=timelines.view(post_id, current_user.id),
        next=safe_next(request.args.get("next")) or "",
    )


@bp.post(f"{POST}/delete")
@login_required
def delete_post(post_id: int) -> ResponseReturnValue:
    post = post_or_404(post_id)
    try:
        posts.delete(post, current_user)
    except Forbidden as exc:
        abort(403, str(exc))
    flash(_("Your post has been deleted."), "success")
    profile = url_for("main.user_profile", username=current_user.username)
    # The post's own pages (thread, history, likes...) are gone now.
    own = url_for("main.thread", post_id=post_id)
    path = urlsplit(safe_next(request.form.get("next")) or "").path
    if path == own or path.startswith(own + "/"):
        return redirect(profile)
    return back_to(profile)


# --- tags ------------------------------------------------------------------


@bp.get("/tag/<tag>")
def tag(tag: str) -> ResponseReturnValue:
    key = post_text.tag_key(tag)
    if key is None:
        not_found(_l("That is not a tag."))
    if key != tag:
        query = request.query_string.decode()
        target = url_for("main.tag", tag=key) + (f"?{query}" if query else "")
        return redirect(target, 301)
    page = timelines.tag_page(key, before_arg(), page_size(), viewer_id())
    return conditional.render(
        timelines.page_version(page), "main/tag.html", tag=key, page=page
    )


# --- notifications -----------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications_page() -> ResponseReturnValue:
    page = notifications.page(current_user, before_arg(), page_size())
    parts: tuple[Any, ...] = (tuple(page.items), page.next_cursor)
    return conditional.render(parts, "main/notifications.html", page=page)


@bp.post("/notifications/read")
@login_required
def read_notifications() -> ResponseReturnValue:
    notifications.mark_all_read(current_user)
    if not wants_json():
        flash(_("All notifications are marked as read."), "success")
    return done(url_for("main.notifications_page"))
