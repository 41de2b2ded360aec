"""The digest settings endpoint and the email switches of the preferences endpoint."""

import pytest

from apps.digests.models import DigestSettings
from apps.notifications.models import NotificationPreference

pytestmark = pytest.mark.django_db

URL = "/api/digest-settings/"


def test_defaults_without_a_row(client_for, user):
    response = client_for(user).get(URL)

    assert response.status_code == 200
    assert response.json() == {"frequency": "daily", "hour": 18, "weekday": 0, "time_zone": "UTC"}
    assert not DigestSettings.objects.exists()


def test_patch_changes_only_what_it_names(client_for, user):
    api = client_for(user)

    response = api.patch(
        URL, {"time_zone": "America/Argentina/Buenos_Aires", "hour": 7}, format="json"
    )
    again = api.patch(URL, {"frequency": "weekly", "weekday": 6}, format="json")

    assert response.status_code == 200
    assert again.json() == {
        "frequency": "weekly",
        "hour": 7,
        "weekday": 6,
        "time_zone": "America/Argentina/Buenos_Aires",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"hour": 24}, "hour"),
        ({"hour": -1}, "hour"),
        ({"weekday": 7}, "weekday"),
        ({"frequency": "hourly"}, "frequency"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_values_are_named(client_for, user, body, field):
    response = client_for(user).patch(URL, body, format="json")

    assert response.status_code == 400
    assert field in str(response.json())
    assert not DigestSettings.objects.exists()


def test_not_an_object(client_for, user):
    assert client_for(user).patch(URL, [1], format="json").status_code == 400


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code in (401, 403)


def test_the_email_switches_of_the_preferences(client_for, user):
    api = client_for(user)

    before = api.get("/api/notification-preferences/").json()["types"]
    response = api.patch(
        "/api/notification-preferences/",
        {"types": {"post_liked": {"email": True}, "new_post": {"email": False}}},
        format="json",
    )
    bad = api.patch(
        "/api/notification-preferences/", {"types": {"new_post": {"email": "yes"}}}, format="json"
    )

    assert before["new_post"]["email"] is True
    assert before["post_liked"]["email"] is False
    assert response.status_code == 200
    assert response.json()["types"]["post_liked"]["email"] is True
    preference = NotificationPreference.objects.get(user=user)
    assert (preference.post_liked_email, preference.new_post_email) == (True, False)
    assert bad.status_code == 400
    assert "new_post.email" in str(bad.json())
