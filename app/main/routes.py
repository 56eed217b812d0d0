"""Home page, feed, explore, posting, following and follower lists."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.extensions import login_manager
from app.main import pictures
from app.main.forms import PostForm
from app.models import POST_MAX, User
from app.pagination import Page, parse_cursor
from app.services import DomainError, accounts, posts, social, timelines
from app.services.errors import Forbidden
from app.web import conditional
from app.web.login import reader
from app.web.security import safe_next

bp = Blueprint("main", __name__)


def page_size() -> int:
    return current_app.config["POSTS_PER_PAGE"]


def before_arg() -> int | None:
    """The ``?before=`` cursor; junk gets a 404 rather than an error page."""
    try:
        return parse_cursor(request.args.get("before"))
    except ValueError:
        abort(404, "That page does not exist.")


def user_or_404(username: str) -> User:
    user = accounts.find_by_username(username)
    if user is None:
        abort(404, f"There is no user called {username}.")
    if user.is_suspended:
        abort(404, f"{user.username}’s account is suspended.")
    return user


def viewer_id() -> int | None:
    """The logged-in reader's id, or None."""
    user = reader()
    return user.id if user else None


def back_to(default: str) -> ResponseReturnValue:
    return redirect(safe_next(request.form.get("next")) or default)


@bp.route("/", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        if request.method == "POST":
            return login_manager.unauthorized()
        return render_template("main/landing.html")
    draft: str = ""
    errors: list[str] = []
    picture_errors: list[str] = []
    if request.method == "POST":
        form = PostForm()
        if form.validate_on_submit():
            try:
                uploads = pictures.from_form()
                posts.publish(current_user, form.body.data, uploads=uploads)
            except DomainError as exc:
                if exc.field == "body":
                    form.body.errors.append(str(exc))
                else:
                    picture_errors.append(str(exc))
            else:
                flash("Your post is live.", "success")
                return redirect(url_for("main.index"))
        draft, errors = form.body.data or "", list(form.body.errors)
    page = timelines.feed_page(current_user, before_arg(), page_size())
    return conditional.render(
        (timelines.page_version(page), draft, errors, picture_errors),
        "main/home.html",
        page=page,
        draft=draft,
        errors=errors,
        picture_errors=picture_errors,
        post_max=POST_MAX,
    )


@bp.get("/explore")
def explore() -> ResponseReturnValue:
    page = timelines.explore_page(before_arg(), page_size(), viewer_id())
    return conditional.render(
        timelines.page_version(page), "main/explore.html", page=page
    )


@bp.post("/follow/<username>")
@login_required
def follow(username: str) -> ResponseReturnValue:
    other = user_or_404(username)
    try:
        social.follow(current_user, other)
    except Forbidden as exc:
        abort(403, str(exc))
    except DomainError as exc:
        flash(str(exc), "warning")
    else:
        flash(f"You are now following {other.username}.", "success")
    return back_to(url_for("main.user_profile", username=other.username))


@bp.post("/unfollow/<username>")
@login_required
def unfollow(username: str) -> ResponseReturnValue:
    other = user_or_404(username)
    if other.id == current_user.id:
        flash(social.CANNOT_FOLLOW_SELF, "warning")
    else:
        social.unfollow(current_user, other)
        flash(f"You are no longer following {other.username}.", "success")
    return back_to(url_for("main.user_profile", username=other.username))


@bp.get("/user/<username>/followers")
def followers(username: str) -> ResponseReturnValue:
    user = user_or_404(username)
    page = social.followers_page(user, before_arg(), page_size())
    return render_template(
        "main/user_list.html", user=user, page=page, kind="followers"
    )


@bp.get("/user/<username>/following")
def following(username: str) -> ResponseReturnValue:
    user = user_or_404(username)
    page = social.following_page(user, before_arg(), page_size())
    return render_template(
        "main/user_list.html", user=user, page=page, kind="following"
    )


def profile_page(username: str) -> tuple[social.Profile, Page[Any]]:
    """A profile and one page of its posts, or 404."""
    found = social.profile(username, viewer_id())
    if found is None:
        abort(404, f"There is no user called {username}.")
    if found.user.is_suspended:
        abort(404, f"{found.user.username}’s account is suspended.")
    page = timelines.user_posts_page(found.user, before_arg(), page_size(), viewer_id())
    return found, page


def profile_version(found: social.Profile, page: Page[Any]) -> tuple[Any, ...]:
    """Every value the profile page shows, for its ETag."""
    user = found.user
    return (
        user.id,
        user.username,
        user.email,
        user.avatar,
        user.about_me,
        user.created_at,
        user.last_seen,
        found.counts,
        found.viewer_follows,
        found.viewer_blocks,
        found.viewer_mutes,
        timelines.page_version(page),
    )
