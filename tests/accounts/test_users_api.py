"""The user search endpoint: exact or prefix match, case-insensitive, never the caller."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS_URL = "/api/users/"


def _names(response) -> list[str]:
    return [item["username"] for item in response.json()["results"]]


def test_user_list_exact_username_returns_that_user_as_id_and_username(client_for, user):
    pablo = UserFactory(username="pablo")

    response = client_for(user).get(USERS_URL, {"username": "pablo"})

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": pablo.id, "username": "pablo"}]


def test_user_list_prefix_matches_ignoring_case_with_exact_match_first(client_for, user):
    for name in ["PabloX", "pablo2", "Pablo", "tito"]:
        UserFactory(username=name)

    response = client_for(user).get(USERS_URL, {"username": "pABlo"})

    assert _names(response) == ["Pablo", "pablo2", "PabloX"]


def test_user_list_excludes_the_caller_and_inactive_users(client_for):
    caller = UserFactory(username="pablo")
    UserFactory(username="pablo-gone", is_active=False)
    other = UserFactory(username="pablo-here")

    response = client_for(caller).get(USERS_URL, {"username": "pablo"})

    assert response.json()["results"] == [{"id": other.id, "username": "pablo-here"}]


def test_user_list_no_match_returns_empty_page(client_for, user):
    response = client_for(user).get(USERS_URL, {"username": "nobody"})

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_user_list_pages_with_cursor_without_repeats(client_for, user):
    for index in range(5):
        UserFactory(username=f"sam{index}")
    client = client_for(user)

    first = client.get(USERS_URL, {"username": "sam", "page_size": 3}).json()
    second = client.get(first["next"]).json()

    assert [u["username"] for u in first["results"]] == ["sam0", "sam1", "sam2"]
    assert [u["username"] for u in second["results"]] == ["sam3", "sam4"]
    assert second["next"] is None


@pytest.mark.parametrize("query", [{}, {"username": ""}, {"username": "x" * 151}])
def test_user_list_missing_blank_or_long_username_returns_400_naming_it(client_for, user, query):
    response = client_for(user).get(USERS_URL, query)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"username"}


def test_user_list_with_session_auth_works_for_the_browser(client, user):
    UserFactory(username="pablo")
    client.force_login(user)

    response = client.get(USERS_URL, {"username": "pab"})

    assert _names(response) == ["pablo"]


def test_user_list_anonymous_returns_401(api_client):
    response = api_client.get(USERS_URL, {"username": "pablo"})

    assert response.status_code == 401
