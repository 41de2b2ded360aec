"""The browser login and logout pages."""

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_get_renders_form(client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_login_valid_credentials_logs_in_and_redirects(client, user):
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/api/me/").json()["id"] == user.id


def test_login_bad_credentials_shows_error_and_stays_anonymous(client, user):
    response = client.post("/login/", {"username": user.username, "password": "wrong"})

    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert client.get("/api/me/").status_code == 401


def test_logout_post_ends_session_and_redirects_to_login(client, user):
    client.force_login(user)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/api/me/").status_code == 401
