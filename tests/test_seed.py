"""`flask seed`: demo users, posts and follows in bulk."""

from __future__ import annotations

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Post, User, follows
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
    assert "Created 12 users, 300 posts and 36 follows in" in result.output
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
