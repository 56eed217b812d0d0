"""factory_boy factories; call them inside a short app context."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from flask import current_app
from werkzeug.security import generate_password_hash

from app.db_types import utcnow
from app.extensions import db
from app.models import Post, User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username.lower()}@example.com")
    email_confirmed_at = factory.LazyFunction(utcnow)
    about_me = ""
    # The row is committed before post_generation runs, so it needs a hash
    # already; the ``password`` hook below then sets the requested one.
    password_hash = factory.LazyFunction(
        lambda: generate_password_hash(
            DEFAULT_PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"]
        )
    )

    @factory.post_generation
    def password(  # noqa: N805 (factory_boy passes the object first)
        obj: User, create: bool, extracted: str | None, **kwargs: object
    ) -> None:
        obj.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            db.session.commit()


class PostFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Post
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"

    body = factory.Sequence(lambda n: f"Post number {n}")
    author = factory.SubFactory(UserFactory)
