"""Every API error is a JSON body, whoever raises it."""

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_url_returns_json_404(client_for, user):
    response = client_for(user).get("/api/does-not-exist/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_api_wrong_method_returns_json_405(client_for, user):
    response = client_for(user).put("/api/me/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_api_malformed_json_returns_json_400(client_for, user):
    response = client_for(user).post("/api/posts/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


DEEP_ARRAY = "[" * 50_000
DEEP_OBJECT = '{"a":' * 50_000


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_to_an_anonymous_endpoint_is_a_parse_error(api_client, body):
    api_client.raise_request_exception = False

    response = api_client.post("/api/auth/register/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - nested too deeply.",
        "code": "parse_error",
    }


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_to_a_signed_in_endpoint_is_a_parse_error(client_for, user, body):
    client = client_for(user)
    client.raise_request_exception = False

    response = client.post("/api/posts/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_nesting_the_decoder_can_take_is_an_ordinary_validation_error(client_for, user):
    body = '{"content": ' + "[" * 500 + "]" * 500 + ', "type": "thoughts"}'

    response = client_for(user).post("/api/posts/", body, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"content"}
