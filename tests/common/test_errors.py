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
