"""Property-based conformance of the whole API to its own OpenAPI document.

Schemathesis reads /api/openapi.json through WSGI and, for every operation,
sends generated requests (valid and invalid) with a real bearer token. Each
response must not be a 5xx, must use a documented status code and content
type, and must match the documented response schema.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any
from unittest import mock

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from app.extensions import db
from app.models import User
from app.services import api_tokens, social
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory

# Generated examples per operation (schemathesis adds its explicit and
# coverage cases); 24 operations run in well under two minutes.
MAX_EXAMPLES = 50
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CALLS: Counter[str] = Counter()
STATUSES: defaultdict[str, Counter[int]] = defaultdict(Counter)


class Credentials:
    """A real account with posts and follows, and ways to authenticate as it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        with app.app_context():
            owner = UserFactory(username="fuzzer", email="fuzzer@example.com")
            others = [UserFactory() for _ in range(3)]
            for author in (owner, *others):
                PostFactory.create_batch(3, author=author)
            social.follow(owner, others[0])
            social.follow(others[1], owner)
            self.user_id = owner.id
            self.token = api_tokens.issue(owner).token

    def fresh_token(self) -> str:
        with self.app.app_context():
            user = db.session.get(User, self.user_id)
            assert user is not None
            return api_tokens.issue(user).token

    def headers_for(self, case: schemathesis.Case) -> dict[str, str]:
        path, method = case.operation.path, case.operation.method.upper()
        if path == "/api/tokens" and method == "POST":
            pair = f"fuzzer@example.com:{DEFAULT_PASSWORD}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if path == "/api/tokens" and method == "DELETE":
            # Revoking the shared token would turn every later case into a 401.
            return {"Authorization": f"Bearer {self.fresh_token()}"}
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module", autouse=True)
def _report_calls() -> Iterator[None]:
    yield
    total = sum(CALLS.values())
    print(f"\nschemathesis: {total} requests over {len(CALLS)} operations")  # noqa: T201
    for operation, count in sorted(CALLS.items()):
        statuses = ", ".join(f"{k}x{v}" for k, v in sorted(STATUSES[operation].items()))
        print(f"  {count:5d}  {operation}  ({statuses})")  # noqa: T201


@pytest.fixture
def credentials(app: Any) -> Credentials:
    return Credentials(app)


def load_schema() -> Any:
    """Read the document from an app built for that alone, at collection time.

    Each test then calls its own ``app`` fixture (fresh database). The
    fixture-based loader (``schemathesis.pytest.from_fixture``) does not work
    with pytest 9, so the schema cannot come from the ``app`` fixture itself.
    """
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "WREN_CONFIG": "testing",
            "WREN_INSTANCE_PATH": tmp,
            "SECRET_KEY": "schema-only",
            "DATABASE_URL": f"sqlite:///{tmp}/unused.sqlite",
        }
        with mock.patch.dict(os.environ, env):
            app = create_app("testing")
        loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return loaded


schema = load_schema()


@pytest.mark.slow
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, app: Any, credentials: Credentials
) -> None:
    response = case.call_and_validate(
        app=app, headers=credentials.headers_for(case), checks=CHECKS
    )
    CALLS[f"{case.operation.method.upper()} {case.operation.path}"] += 1
    STATUSES[f"{case.operation.method.upper()} {case.operation.path}"][
        response.status_code
    ] += 1
