"""Small helpers shared by the API tests (tests/test_api_*.py)."""

from __future__ import annotations

import base64

from flask.testing import FlaskClient

from tests.factories import DEFAULT_PASSWORD


def basic(login: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    pair = f"{login}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def obtain_token(
    client: FlaskClient, login: str, password: str = DEFAULT_PASSWORD
) -> str:
    """Get a token through the real endpoint, as a client would."""
    response = client.post("/api/tokens", headers=basic(login, password))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["token"]
