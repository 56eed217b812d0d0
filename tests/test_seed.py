"""`flask seed`: demo users, posts, replies, follows and likes in bulk.

Database-neutral: the same checks run on SQLite and, with
WREN_TEST_DATABASE_URL, on PostgreSQL, where the bulk load takes another
path (binary COPY, constraints dropped and added back).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app import seed as seeding
from app.extensions import db
from app.models import Like, Post, User, follows, table_of
from app.seed import DEFAULT_PASSWORD


def table_counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count(User.id))),
            db.session.scalar(sa.select(sa.func.count(Post.id))),
            db.session.scalar(sa.select(sa.func.count()).select_from(follows)),
        )


def test_seed_creates_users_posts_and_follows(app, runner):
    result = runner.invoke(
        args=["seed", "--users", "12", "--posts", "300", "--follows", "3"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Created 12 users, 300 posts (0 of them replies), 36 follows and 0 likes in"
        in result.output
    )
    assert table_counts(app) == (12, 300, 36)
    with app.app_context():
        names = set(db.session.scalars(sa.select(User.username_key)))
        assert names == {f"demo{i}" for i in range(1, 13)}
        demo3 = db.session.scalar(sa.select(User).where(User.username == "demo3"))
        assert demo3.email == "demo3@example.com"
        assert demo3.email_confirmed
        assert demo3.check_password(DEFAULT_PASSWORD)
        # One hash for everyone: hashing 10,000 times would take minutes.
        assert (
            db.session.scalar(sa.select(sa.func.count(sa.distinct(User.password_hash))))
            == 1
        )
        times = list(db.session.scalars(sa.select(Post.created_at).order_by(Post.id)))
        assert times == sorted(times)
        assert times[0] < times[-1]
        assert all(t.tzinfo is not None for t in times[:5])
        # Posts are spread over many authors, and nobody follows themselves.
        authors = db.session.scalar(sa.select(sa.func.count(sa.distinct(Post.user_id))))
        assert authors >= 6
        assert not db.session.scalar(
            sa.select(sa.func.count())
            .select_from(follows)
            .where(follows.c.follower_id == follows.c.followed_id)
        )
        per_user = set(
            db.session.scalars(
                sa.select(sa.func.count())
                .select_from(follows)
                .group_by(follows.c.follower_id)
            )
        )
        assert per_user == {3}
        # The bulk load drops the posts index and must put it back.
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("posts")}
        assert "ix_posts_user_id_id" in indexes


def test_seeded_user_can_log_in_and_sees_a_feed(app, runner, client, auth):
    runner.invoke(args=["seed", "--users", "5", "--posts", "40", "--follows", "2"])
    response = auth.login("demo1", DEFAULT_PASSWORD)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert 'class="post card' in page
    assert "Follow people to fill your feed" not in page


def test_seed_password_option(app, runner, auth):
    result = runner.invoke(
        args=[
            "seed",
            "--users",
            "2",
            "--posts",
            "0",
            "--follows",
            "1",
            "--password",
            "another demo password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert auth.login("demo2", "another demo password").status_code == 302


def test_seed_refuses_when_demo_users_exist(app, runner):
    runner.invoke(args=["seed", "--users", "3", "--posts", "5", "--follows", "1"])
    result = runner.invoke(
        args=["seed", "--users", "5", "--posts", "5", "--follows", "1"]
    )
    assert result.exit_code != 0
    assert "demo user(s) already exist" in result.output
    assert table_counts(app) == (3, 5, 3)


def test_seed_appends_to_existing_data_keeping_time_order(app, runner, make_user):
    make_user("john")
    with app.app_context():
        john = db.session.scalar(sa.select(User))
        db.session.add(Post(author=john, body="written before seeding"))
        db.session.commit()
    result = runner.invoke(
        args=["seed", "--users", "3", "--posts", "20", "--follows", "0"]
    )
    assert result.exit_code == 0, result.output
    assert table_counts(app) == (4, 21, 0)
    with app.app_context():
        times = list(db.session.scalars(sa.select(Post.created_at).order_by(Post.id)))
    assert times == sorted(times)


def test_seed_rejects_impossible_follows(app, runner):
    result = runner.invoke(
        args=["seed", "--users", "3", "--posts", "5", "--follows", "3"]
    )
    assert result.exit_code != 0
    assert "--follows can be at most 2" in result.output
    assert table_counts(app) == (0, 0, 0)


def test_seed_refuses_in_production_unless_forced(app_env, monkeypatch):
    monkeypatch.setenv("WREN_CONFIG", "production")
    monkeypatch.setenv("PUBLIC_URL", "https://wren.example.org")
    prod = create_app("production")
    with prod.app_context():
        db.create_all()
    runner = prod.test_cli_runner()
    result = runner.invoke(
        args=["seed", "--users", "2", "--posts", "3", "--follows", "1"]
    )
    assert result.exit_code != 0
    assert "Refusing to add demo data to a production database" in result.output
    assert table_counts(prod) == (0, 0, 0)
    result = runner.invoke(
        args=["seed", "--users", "2", "--posts", "3", "--follows", "1", "--force"]
    )
    assert result.exit_code == 0, result.output
    assert table_counts(prod) == (2, 3, 2)
    with prod.app_context():
        db.engine.dispose()


def test_seed_help_documents_append_behaviour(runner):
    result = runner.invoke(args=["seed", "--help"])
    assert result.exit_code == 0
    assert "added to what the database holds" in " ".join(result.output.split())


def test_seed_refuses_when_a_demo_address_is_taken(app, runner, make_user):
    make_user("someone", email="demo2@example.com")
    result = runner.invoke(
        args=["seed", "--users", "3", "--posts", "5", "--follows", "1"]
    )
    assert result.exit_code != 0
    assert "already taken" in result.output
    assert table_counts(app) == (1, 0, 0)


def seed_args(users: int, posts: int, follows_per_user: int, **more: int) -> list[str]:
    args = ["seed", "--users", str(users), "--posts", str(posts)]
    args += ["--follows", str(follows_per_user)]
    for name, value in more.items():
        args += [f"--{name}", str(value)]
    return args


def like_counts_by_post() -> dict[int, int]:
    """Likes rows per post id, counted; posts without likes are absent."""
    rows = db.session.execute(
        sa.select(Like.post_id, sa.func.count()).group_by(Like.post_id)
    )
    return {post_id: n for post_id, n in rows}


def reply_counts_by_post() -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Post.in_reply_to_id, sa.func.count())
        .where(Post.in_reply_to_id.is_not(None))
        .group_by(Post.in_reply_to_id)
    )
    return {post_id: n for post_id, n in rows}


def assert_counters_match_rows() -> None:
    """Every post's like_count and reply_count equal the rows that count."""
    likes = like_counts_by_post()
    replies = reply_counts_by_post()
    stored = db.session.execute(sa.select(Post.id, Post.like_count, Post.reply_count))
    for post_id, like_count, reply_count in stored:
        assert like_count == likes.get(post_id, 0), post_id
        assert reply_count == replies.get(post_id, 0), post_id


def test_seed_likes_and_replies_with_counters_that_match(app, runner):
    result = runner.invoke(
        args=seed_args(10, 120, 2, likes=400, replies=40, **{"random-seed": 7})
    )
    assert result.exit_code == 0, result.output
    assert (
        "Created 10 users, 120 posts (40 of them replies), 20 follows and "
        "400 likes in" in result.output
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Like.id))) == 400
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Post.id)).where(
                    Post.in_reply_to_id.is_not(None)
                )
            )
            == 40
        )
        assert_counters_match_rows()
        assert sum(like_counts_by_post().values()) == 400
        assert sum(reply_counts_by_post().values()) == 40

        # A reply answers an earlier post that exists.
        parent = sa.orm.aliased(Post)
        replies = db.session.execute(
            sa.select(Post.id, Post.in_reply_to_id, parent.id)
            .outerjoin(parent, parent.id == Post.in_reply_to_id)
            .where(Post.in_reply_to_id.is_not(None))
        ).all()
        assert len(replies) == 40
        assert all(parent_id < post_id for post_id, parent_id, _ in replies)
        assert all(found is not None for _, _, found in replies)

        # One like per person and post, never by the post's author, and
        # spread over many posts and people.
        pairs = db.session.execute(sa.select(Like.user_id, Like.post_id)).all()
        assert len(set(pairs)) == len(pairs) == 400
        own = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Like)
            .join(Post, Post.id == Like.post_id)
            .where(Post.user_id == Like.user_id)
        )
        assert own == 0
        assert len({post for _, post in pairs}) >= 60
        assert len({user for user, _ in pairs}) == 10
        # Liked after being posted.
        late = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Like)
            .join(Post, Post.id == Like.post_id)
            .where(Like.created_at < Post.created_at)
        )
        assert late == 0

        # The load puts back what it set aside for speed.
        inspector = sa.inspect(db.engine)
        assert {"ix_likes_post_id_id"} <= {
            i["name"] for i in inspector.get_indexes("likes")
        }
        assert {"ix_posts_user_id_id", "ix_posts_in_reply_to_id_id"} <= {
            i["name"] for i in inspector.get_indexes("posts")
        }
        assert {fk["referred_table"] for fk in inspector.get_foreign_keys("likes")} == {
            "users",
            "posts",
        }
        unique = [
            set(u["column_names"]) for u in inspector.get_unique_constraints("likes")
        ]
        assert {"user_id", "post_id"} in unique
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1

        # Posts written afterwards get new ids (the seed wrote explicit ones).
        highest = db.session.scalar(sa.select(sa.func.max(Post.id)))
        demo1 = db.session.scalar(sa.select(User).where(User.username == "demo1"))
        later = Post(author=demo1, body="after the seed")
        db.session.add(later)
        db.session.commit()
        assert later.id > highest


def test_seed_every_possible_like(app, runner):
    # 4 users can like each post 3 times (not their own): all of it.
    result = runner.invoke(args=seed_args(4, 10, 1, likes=30, replies=9))
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert set(db.session.scalars(sa.select(Post.like_count))) == {3}
        assert_counters_match_rows()
        # Each post but the first is a reply, each to an earlier one.
        ids = list(db.session.scalars(sa.select(Post.id).order_by(Post.id)))
        parents = dict(
            db.session.execute(sa.select(Post.id, Post.in_reply_to_id)).all()
        )
        assert parents[ids[0]] is None
        assert all(parents[i] is not None and parents[i] < i for i in ids[1:])


def seeded_choices() -> tuple[list[tuple[str, int]], list[tuple[int, int]]]:
    """Who liked which post and which post answers which, by username and
    by the post's place in id order: what a random seed decides."""
    post_ids = list(db.session.scalars(sa.select(Post.id).order_by(Post.id)))
    place = {post_id: i for i, post_id in enumerate(post_ids)}
    likes = db.session.execute(
        sa.select(User.username, Like.post_id)
        .join(User, User.id == Like.user_id)
        .order_by(Like.id)
    )
    replies = db.session.execute(
        sa.select(Post.id, Post.in_reply_to_id).where(Post.in_reply_to_id.is_not(None))
    )
    return (
        [(name, place[post_id]) for name, post_id in likes],
        sorted((place[post_id], place[parent]) for post_id, parent in replies),
    )


def test_seed_same_random_seed_same_likes_and_replies(app, runner):
    args = seed_args(6, 30, 1, likes=50, replies=10)
    assert runner.invoke(args=args).exit_code == 0
    with app.app_context():
        first = seeded_choices()
        for table in (table_of(Like), table_of(Post), follows, table_of(User)):
            db.session.execute(sa.delete(table))
        db.session.commit()
    assert runner.invoke(args=args).exit_code == 0
    with app.app_context():
        # New ids (never reused), the same choices.
        assert seeded_choices() == first
    assert len(first[0]) == 50
    assert len(first[1]) == 10


@pytest.mark.parametrize(
    ("more", "message"),
    [
        ({"likes": 31}, "--likes can be at most 30"),
        ({"replies": 10}, "--replies can be at most 9"),
        ({"likes": -1}, "cannot be negative"),
        ({"replies": -2}, "cannot be negative"),
    ],
)
def test_seed_rejects_impossible_likes_and_replies(app, runner, more, message):
    result = runner.invoke(args=seed_args(4, 10, 1, **more))
    assert result.exit_code != 0
    assert message in result.output
    assert table_counts(app) == (0, 0, 0)


def test_failed_load_leaves_no_posts_and_puts_indexes_back(app):
    calls = []

    def progress(rows: int) -> None:
        calls.append(rows)
        if len(calls) == 2:  # after the users, during the posts' load
            raise RuntimeError("disk full")

    with app.app_context():
        with pytest.raises(RuntimeError, match="disk full"):
            seeding.seed(3, 20, 1, likes=10, replies=5, progress=progress)
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0
        inspector = sa.inspect(db.engine)
        assert {"ix_posts_user_id_id", "ix_posts_in_reply_to_id_id"} <= {
            i["name"] for i in inspector.get_indexes("posts")
        }
        assert [fk["referred_table"] for fk in inspector.get_foreign_keys("posts")] == [
            "users"
        ]
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
