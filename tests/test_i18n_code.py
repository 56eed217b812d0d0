"""Strings from the Python code in Spanish: form errors, flashes, errors.

A browser asking for Spanish (Accept-Language) or an account set to Spanish
(users.language) gets every page text in Spanish; the JSON API answers in
English either way.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from tests.api_helpers import bearer, obtain_token
from tests.conftest import AuthActions


def speaks_spanish(client: FlaskClient) -> FlaskClient:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-ES,es;q=0.9"
    return client


@pytest.fixture
def juan(make_user) -> User:
    """An account whose own setting is Spanish (the browser asks nothing)."""
    return make_user("juan", language="es")


def test_a_form_error_from_app_validation_is_in_spanish(client, auth):
    speaks_spanish(client)
    page = auth.register(password="short", password2="short").get_data(as_text=True)
    assert "Las contraseñas tienen entre 8 y 128 caracteres." in page
    assert "Passwords are" not in page
    # The labels and descriptions of the form itself are Spanish too.
    assert "Nombre de usuario" in page
    assert "Repite la contraseña" in page


def test_wtforms_builtin_required_message_is_in_spanish(client, auth):
    speaks_spanish(client)
    response = auth.post_form("/auth/login", {"username": "", "password": ""})
    page = response.get_data(as_text=True)
    assert "Este campo es obligatorio." in page
    assert "This field is required." not in page


def test_the_same_form_error_stays_english_without_a_language(client, auth):
    page = auth.post_form("/auth/login", {"username": "", "password": ""}).get_data(
        as_text=True
    )
    assert "This field is required." in page
    assert "Este campo" not in page


def test_a_flash_follows_the_accounts_language(client, auth, juan, make_user):
    make_user("susan")
    auth.login("juan")
    response = auth.post_form("/follow/susan", {}, page="/user/susan")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ahora sigues a susan." in page
    assert "You are now following" not in page


def test_a_domain_error_reaches_the_page_in_spanish(client, auth, juan):
    auth.login("juan")
    response = auth.post_form("/follow/juan", {}, page="/user/juan")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No puedes seguirte a ti mismo." in page
    assert "You cannot follow yourself." not in page


def test_the_accounts_language_wins_over_the_browsers(client, auth, juan):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    auth.login("juan")
    response = auth.post_form("/follow/juan", {}, page="/user/juan")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No puedes seguirte a ti mismo." in page


def test_a_404_page_is_in_spanish(client):
    speaks_spanish(client)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Página no encontrada" in page
    assert "No hay nada en esta dirección." in page


def test_a_404_with_its_own_message_is_in_spanish_and_escaped(client):
    speaks_spanish(client)
    response = client.get("/user/<i>nadie")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "No hay ningún usuario llamado &lt;i&gt;nadie." in page
    assert "<i>nadie" not in page


def test_a_json_error_body_stays_english_on_a_page_route(client):
    speaks_spanish(client)
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["message"] == "There is nothing at this address."


def test_the_settings_name_the_device_in_spanish(client, auth, juan):
    client.environ_base["HTTP_USER_AGENT"] = ""
    auth.login("juan")
    page = client.get("/settings/sessions").get_data(as_text=True)
    assert "Dispositivo desconocido" in page
    assert "Unknown device" not in page


def test_a_moderators_flash_is_in_spanish(client, auth, make_user):
    make_user("mod", language="es", role="moderator")
    make_user("troll")
    auth.login("mod")
    response = auth.post_form(
        "/admin/users/troll/suspend", {"reason": "spam"}, page="/admin/users"
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "troll está suspendido." in page


# --- the API keeps English ---------------------------------------------------


def test_the_api_answers_a_domain_error_in_english(client, juan):
    speaks_spanish(client)
    token = obtain_token(client, "juan")
    response = client.put(f"/api/me/following/{juan.id}", headers=bearer(token))
    assert response.status_code == 422
    assert response.get_json()["message"] == "You cannot follow yourself."


def test_the_api_answers_validation_in_english(client, juan):
    speaks_spanish(client)
    token = obtain_token(client, "juan")
    response = client.post("/api/posts", json={"body": "  "}, headers=bearer(token))
    assert response.status_code == 422
    assert "Write something in the post." in str(response.get_json()["detail"])


def test_the_api_answers_a_404_in_english(client):
    speaks_spanish(client)
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["message"] == "There is nothing at this address."


def test_a_spanish_page_after_an_english_api_call_in_one_process(
    client, auth: AuthActions, juan, app
):
    """The API's English is per request: the next page is Spanish again."""
    token = obtain_token(client, "juan")
    client.put(f"/api/me/following/{juan.id}", headers=bearer(token))
    auth.login("juan")
    response = auth.post_form("/follow/juan", {}, page="/user/juan")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No puedes seguirte a ti mismo." in page
    with app.app_context():
        assert db.session.get(User, juan.id).language == "es"
