"""Flask commands for operators: ``flask seed`` and ``flask users ...``."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from huey.consumer import Consumer, ConsumerStopped

from app import seed as seeding
from app.services import DomainError, moderation, operators, search

users_cli = AppGroup("users", help="Create, promote and delete accounts.")
search_cli = AppGroup("search", help="Look after the full-text search index.")
jobs_cli = AppGroup("jobs", help="Run the background jobs.")


def register(app: Flask) -> None:
    """Attach the project's commands to ``app.cli``."""
    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(jobs_cli)


@jobs_cli.command("worker")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at once (threads).",
)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Also start periodic jobs (cleanups). Give one worker only this, "
    "when several share a Redis queue.",
)
@with_appcontext
def jobs_worker(workers: int, periodic: bool) -> None:
    """Run queued and periodic jobs until stopped.

    SIGTERM or Ctrl-C stops taking new jobs and lets the running ones finish
    (a second one stops at once); queued jobs wait in the queue for the next
    start. Run one beside the web server (see the README); with a Redis
    queue several may run, and only one of them should run periodic jobs.
    """
    huey = current_app.extensions["jobs"].huey
    if huey.immediate:
        raise click.ClickException(
            "JOBS_IMMEDIATE is on: jobs run where they are queued, "
            "so there is nothing for a worker to do."
        )
    # Huey's own progress (started, each job run, retries) in the app's log.
    huey_log = logging.getLogger("huey")
    huey_log.setLevel(logging.INFO)
    for handler in current_app.logger.handlers:
        if handler not in huey_log.handlers:
            huey_log.addHandler(handler)
    # An idle worker polls the SQLite queue at most 2 s apart (Huey's default
    # is 10 s), so mail leaves soon after it is queued; Redis blocks instead.
    consumer = huey.create_consumer(
        workers=workers, worker_type="thread", periodic=periodic, max_delay=2.0
    )
    run_until_stopped(consumer)


def _stop_gracefully(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_until_stopped(consumer: Consumer) -> None:
    """``consumer.run()``, except that SIGTERM lets running jobs finish.

    Huey stops at once on SIGTERM, and its worker threads die with the
    process: a mail half-way through its SMTP conversation would be lost.
    Here SIGTERM (what systemd, Docker and Procfile hosts send) is a
    graceful stop, like Ctrl-C; SIGHUP too, instead of Huey's re-exec.
    """
    consumer.start()
    signal.signal(signal.SIGTERM, _stop_gracefully)
    signal.signal(signal.SIGHUP, _stop_gracefully)
    health_check_ts = time.monotonic()
    while True:
        try:
            health_check_ts = consumer.loop(health_check_ts)
        except ConsumerStopped:
            break
        except KeyboardInterrupt:
            # Arrived outside the consumer's wait, which handles it itself.
            consumer.stop(graceful=True)
            break
    consumer.huey.notify_interrupted_tasks()
    current_app.logger.info("Job worker stopped.")


@click.command("seed")
@click.option(
    "--users",
    "n_users",
    default=100,
    show_default=True,
    type=int,
    help="Demo users to create: demo1..demoN.",
)
@click.option(
    "--posts",
    "n_posts",
    default=1000,
    show_default=True,
    type=int,
    help="Posts to spread over the demo users.",
)
@click.option(
    "--follows",
    "n_follows",
    default=10,
    show_default=True,
    type=int,
    help="How many other demo users each demo user follows.",
)
@click.option(
    "--replies",
    "n_replies",
    default=0,
    show_default=True,
    type=int,
    help="How many of the posts answer an earlier post.",
)
@click.option(
    "--likes",
    "n_likes",
    default=0,
    show_default=True,
    type=int,
    help="Likes in all, spread over the posts and the demo users.",
)
@click.option(
    "--password",
    default=seeding.DEFAULT_PASSWORD,
    show_default=True,
    help="Password of every demo user.",
)
@click.option(
    "--random-seed",
    default=1,
    show_default=True,
    type=int,
    help="Same seed, same data.",
)
@click.option("--force", is_flag=True, help="Allow running in production.")
@with_appcontext
def seed_command(
    n_users: int,
    n_posts: int,
    n_follows: int,
    n_replies: int,
    n_likes: int,
    password: str,
    random_seed: int,
    force: bool,
) -> None:
    """Fill the database with demo users demo1..demoN, posts, follows and likes.

    Posts are spread over the users with realistic, increasing timestamps up
    to now; --replies of them answer an earlier post, and --likes likes by
    demo users are spread over them (one per person and post, never by the
    author), with every post's reply and like counts matching. The data is
    added to what the database holds; the command refuses if any demoN name
    it would create is taken. Refuses in production unless --force is given.
    Posts and likes are each loaded in one transaction that sets their
    indexes aside and locks the table (on PostgreSQL for readers too), so
    pages wait or crawl until it finishes: seed a database nobody is using.
    """
    if current_app.config["WREN_CONFIG"] == "production" and not force:
        raise click.ClickException(
            "Refusing to add demo data to a production database. "
            "Pass --force if you really mean it."
        )
    total = seeding.total_rows(n_users, n_posts, n_follows, n_likes)
    try:
        with click.progressbar(
            length=total, label="Seeding", show_pos=True, show_eta=True
        ) as bar:
            result = seeding.seed(
                n_users,
                n_posts,
                n_follows,
                password=password,
                random_seed=random_seed,
                progress=bar.update,
                likes=n_likes,
                replies=n_replies,
            )
    except seeding.SeedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Created {result.users:,} users, {result.posts:,} posts "
        f"({result.replies:,} of them replies), {result.follows:,} follows and "
        f"{result.likes:,} likes in {result.seconds:.1f} s."
    )
    steps = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in result.steps.items()
    )
    click.echo(f"Steps: {steps}.")
    click.echo(f"Log in as demo1 .. demo{result.users} with the password {password!r}.")


@users_cli.command("create")
@click.argument("username")
@click.argument("email")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for (hidden) when not given.",
)
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
def users_create(username: str, email: str, password: str, admin: bool) -> None:
    """Create a confirmed account USERNAME with address EMAIL."""
    try:
        user = operators.create_user(username, email, password, admin=admin)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    role = "administrator" if user.role == "admin" else "user"
    click.echo(f"Created {role} {user.username} <{user.email}>.")


@users_cli.command("promote")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["moderator", "admin"]),
    default="admin",
    show_default=True,
    help="Moderators handle reports and accounts; admins also moderators.",
)
@click.option("--revoke", is_flag=True, help="Make the account a plain user again.")
def users_promote(username: str, role: str, revoke: bool) -> None:
    """Give USERNAME a role (or take it away with --revoke)."""
    _set_role(username, "user" if revoke else role)


@users_cli.command("demote")
@click.argument("username")
def users_demote(username: str) -> None:
    """Make USERNAME a plain user again."""
    _set_role(username, "user")


def _set_role(username: str, role: str) -> None:
    try:
        user = operators.get_user(username)
        before = user.role
        moderation.set_role(user, role)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    if user.role == "user":
        was = ROLE_NAMES.get(before, "an administrator or a moderator")
        click.echo(f"{user.username} is no longer {was}.")
    else:
        click.echo(f"{user.username} is now {ROLE_NAMES[user.role]}.")


ROLE_NAMES = {"moderator": "a moderator", "admin": "an administrator"}


@users_cli.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def users_delete(username: str, yes: bool) -> None:
    """Delete USERNAME with all their posts and follows."""
    try:
        user = operators.get_user(username)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    if not yes:
        click.confirm(
            f"Delete {user.username} <{user.email}> and all their posts?",
            abort=True,
        )
    operators.delete_user(user)
    click.echo(f"Deleted {user.username}.")


@search_cli.command("reindex")
def search_reindex() -> None:
    """Build the search index again from every post (SQLite's FTS5 table,
    PostgreSQL's GIN index). Searches keep working meanwhile; writes to
    posts wait until it is done."""
    started = time.perf_counter()
    search.reindex()
    seconds = time.perf_counter() - started
    click.echo(f"Indexed {search.post_count():,} posts in {seconds:.1f} s.")
