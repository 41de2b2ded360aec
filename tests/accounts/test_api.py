"""Registration, token and current-user endpoints, with token and session auth."""

import pytest
from rest_framework.authtoken.models import Token

from apps.accounts.services import BAD_CREDENTIALS, USERNAME_TAKEN
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER_URL = "/api/auth/register/"
TOKEN_URL = "/api/auth/token/"
ME_URL = "/api/me/"


def test_register_valid_input_returns_201_with_id_username_and_token(api_client):
    response = api_client.post(
        REGISTER_URL, {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "token"}
    assert body["username"] == "alice"
    assert Token.objects.get(user_id=body["id"]).key == body["token"]


def test_register_returned_token_authenticates_me(api_client):
    body = api_client.post(
        REGISTER_URL, {"username": "alice", "password": PASSWORD}, format="json"
    ).json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    response = api_client.get(ME_URL)

    assert response.json() == {"id": body["id"], "username": "alice"}


@pytest.mark.parametrize("username", ["alice", "ALICE"])
def test_register_taken_username_returns_400_naming_username(api_client, username):
    UserFactory(username="alice")

    response = api_client.post(
        REGISTER_URL, {"username": username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": USERNAME_TAKEN,
        "code": "unique",
        "fields": {"username": [USERNAME_TAKEN]},
    }


@pytest.mark.parametrize("password", ["short", "password123", "48213957706", "alice1234"])
def test_register_weak_password_returns_400_naming_password(api_client, password):
    response = api_client.post(
        REGISTER_URL, {"username": "alice", "password": password}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"password"}
    assert body["fields"]["password"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "has space!", "password": PASSWORD}, "username"),
        ({"username": "alice"}, "password"),
    ],
)
def test_register_missing_or_invalid_field_returns_400_naming_it(api_client, payload, field):
    response = api_client.post(REGISTER_URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_token_obtain_valid_credentials_returns_users_token(api_client, user):
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


@pytest.mark.parametrize(
    ("username", "password"), [("known", "wrong-password"), ("nobody", PASSWORD)]
)
def test_token_obtain_wrong_credentials_returns_400(api_client, username, password):
    UserFactory(username="known")

    response = api_client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == BAD_CREDENTIALS


def test_me_with_token_returns_id_and_username(client_for, user):
    response = client_for(user).get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {"id": user.id, "username": user.username}


def test_me_with_session_returns_id_and_username(api_client, user):
    assert api_client.login(username=user.username, password=PASSWORD)

    response = api_client.get(ME_URL)

    assert response.json() == {"id": user.id, "username": user.username}


@pytest.mark.parametrize("authorization", [None, "Token not-a-real-key"])
def test_me_without_valid_credentials_returns_401_json(api_client, authorization):
    if authorization:
        api_client.credentials(HTTP_AUTHORIZATION=authorization)

    response = api_client.get(ME_URL)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail", "code"}
