from typing import Any

import pytest

from apps.notifications.models import MutedUser, NotificationPreference
from apps.notifications.services.preferences import MUTE_SELF
from tests.factories import NotificationFactory, PostFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db

PREFS = "/api/notification-preferences/"
DEFAULTS: dict[str, Any] = {
    "types": {
        # Likes are neither pushed nor emailed by default: the most frequent, least urgent.
        kind: {
            "inbox": True,
            "realtime": True,
            "push": kind != "post_liked",
            "email": kind != "post_liked",
        }
        for kind in (
            *("new_post", "friend_request", "friend_accepted", "new_message"),
            *("post_liked", "post_replied", "mentioned"),
        )
    },
    "muted_post_types": [],
    "batch_window_seconds": 60,
    "quiet_hours": None,
}


@pytest.fixture
def me(db):
    return UserFactory()


@pytest.fixture
def client(client_for, me):
    return client_for(me)


def test_preferences_default_without_a_stored_record(client, me):
    response = client.get(PREFS)

    assert response.json() == DEFAULTS
    assert not NotificationPreference.objects.filter(user=me).exists()


def test_preferences_patch_merges_partial_updates(client):
    client.patch(PREFS, {"types": {"new_post": {"realtime": False}}}, format="json")
    response = client.patch(
        PREFS,
        {"muted_post_types": ["milestone", "milestone"], "batch_window_seconds": 0},
        format="json",
    )

    expected = {**DEFAULTS, "muted_post_types": ["milestone"], "batch_window_seconds": 0}
    new_post = {"inbox": True, "realtime": False, "push": True, "email": True}
    expected["types"] = {**DEFAULTS["types"], "new_post": new_post}
    assert response.status_code == 200
    assert response.json() == expected
    assert client.get(PREFS).json() == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"types": {"likes": {"inbox": False}}}, "types"),
        ({"types": {"new_post": {"sms": False}}}, "types"),
        ({"types": {"new_post": {"email": "no"}}}, "types"),
        ({"types": {"new_post": {"inbox": "no"}}}, "types"),
        ({"types": {"new_post": True}}, "types"),
        ({"muted_post_types": ["rants"]}, "muted_post_types"),
        ({"muted_post_types": "milestone"}, "muted_post_types"),
        ({"batch_window_seconds": -1}, "batch_window_seconds"),
        ({"batch_window_seconds": 3601}, "batch_window_seconds"),
        ({"colour": "blue"}, "colour"),
        (
            {"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Mars/Base"}},
            "quiet_hours",
        ),
        ({"quiet_hours": {"start": "25:00", "end": "07:00", "time_zone": "UTC"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "time_zone": "UTC"}}, "quiet_hours"),
        ({"quiet_hours": "22-07"}, "quiet_hours"),
    ],
)
def test_preferences_patch_bad_input_is_400_naming_the_field_and_changes_nothing(
    client, me, body, field
):
    response = client.patch(PREFS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert client.get(PREFS).json() == DEFAULTS


def test_preferences_anonymous_is_401(api_client):
    assert api_client.get(PREFS).status_code == 401


def test_mute_and_unmute_a_user(client, me):
    pablo = UserFactory(username="pablo")

    created = client.post("/api/muted-users/", {"user": pablo.id}, format="json")
    listed = client.get("/api/muted-users/")
    deleted = client.delete(f"/api/muted-users/{pablo.id}/")

    assert created.status_code == 201
    assert created.json()["user"] == {"id": pablo.id, "username": "pablo"}
    assert [m["user"]["id"] for m in listed.json()["results"]] == [pablo.id]
    assert deleted.status_code == 204
    assert not MutedUser.objects.exists()


def test_mute_yourself_is_400(client, me):
    response = client.post("/api/muted-users/", {"user": me.id}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"user": [MUTE_SELF]}


def test_mute_unknown_user_is_400_naming_user(client):
    response = client.post("/api/muted-users/", {"user": 987654}, format="json")

    assert response.status_code == 400
    assert "user" in response.json()["fields"]


def test_unmute_someone_not_muted_is_404(client):
    assert client.delete(f"/api/muted-users/{UserFactory().id}/").status_code == 404


def test_muting_through_the_api_stops_post_notifications(client_for, me, client):
    author = UserFactory()
    make_friends(author, me)
    client.post("/api/muted-users/", {"user": author.id}, format="json")

    client_for(author).post("/api/posts/", {"content": "hi", "type": "thoughts"}, format="json")

    assert client.get("/api/notifications/").json()["results"] == []


def test_grouped_inbox_has_one_entry_per_group_with_latest_ids_and_counts(client, me):
    pablo = UserFactory()
    post = PostFactory(author=pablo)
    batch = [
        NotificationFactory(recipient=me, actor=pablo, post=post, group_key="p1-1", group_count=i)
        for i in (1, 2, 3)
    ]
    batch[0].read_at = batch[0].created_at
    batch[0].save()
    alone = NotificationFactory(recipient=me, type="friend_request")

    response = client.get("/api/notifications/", {"grouped": "true"})

    entries = response.json()["results"]
    assert [e["key"] for e in entries] == [f"n{alone.id}", "p1-1"]
    assert entries[1]["count"] == 3
    assert entries[1]["unread_count"] == 2
    assert entries[1]["ids"] == [n.id for n in batch]
    assert entries[1]["latest"]["id"] == batch[-1].id
    assert client.get("/api/notifications/unread-count/", {"grouped": "true"}).json() == {
        "count": 2
    }


def test_grouped_inbox_paginates_groups(client, me):
    for index in range(5):
        NotificationFactory(recipient=me, group_key=f"g{index}")
        NotificationFactory(recipient=me, group_key=f"g{index}")

    first = client.get("/api/notifications/", {"grouped": "true", "page_size": 2})
    second = client.get(first.json()["next"])
    third = client.get(second.json()["next"])

    keys = [e["key"] for page in (first, second, third) for e in page.json()["results"]]
    assert keys == ["g4", "g3", "g2", "g1", "g0"]


def test_grouped_inbox_runs_the_same_queries_for_few_and_many_groups(
    client, me, django_assert_max_num_queries
):
    for index in range(30):
        NotificationFactory(recipient=me, group_key=f"g{index}")

    with django_assert_max_num_queries(4):
        response = client.get("/api/notifications/", {"grouped": "true", "page_size": 30})

    assert len(response.json()["results"]) == 30


def test_mark_group_read_marks_every_member(client, me):
    batch = [NotificationFactory(recipient=me, group_key="p9-1") for _ in range(3)]
    other = NotificationFactory(recipient=me)

    response = client.post("/api/notifications/read-all/", {"group": "p9-1"}, format="json")

    assert response.json() == {"updated": 3}
    assert all(n.read_at for n in (type(other).objects.filter(pk__in=[b.pk for b in batch])))
    other.refresh_from_db()
    assert other.read_at is None


def test_grouped_flag_must_be_boolean(client):
    response = client.get("/api/notifications/", {"grouped": "perhaps"})

    assert response.status_code == 400
    assert "grouped" in response.json()["fields"]


def test_preferences_push_switch_is_stored_per_type(client, me):
    response = client.patch(
        PREFS,
        {"types": {"new_message": {"push": False}, "post_liked": {"push": True}}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["types"]["new_message"]["push"] is False
    stored = NotificationPreference.objects.get(user=me)
    assert (stored.new_message_push, stored.post_liked_push) == (False, True)


def test_preferences_push_switch_must_be_a_boolean(client):
    response = client.patch(PREFS, {"types": {"new_post": {"push": 1}}}, format="json")

    assert response.status_code == 400
    assert "types" in response.json()["fields"]


def test_quiet_hours_are_set_read_back_and_cleared(client, me):
    window = {
        "start": "22:30",
        "end": "07:00",
        "time_zone": "Europe/Paris",
        "allow_messages": False,
    }

    set_ = client.patch(PREFS, {"quiet_hours": window}, format="json")
    cleared = client.patch(PREFS, {"quiet_hours": None}, format="json")

    assert set_.status_code == 200
    assert set_.json()["quiet_hours"] == window
    assert cleared.json()["quiet_hours"] is None
    stored = NotificationPreference.objects.get(user=me)
    assert (stored.quiet_start, stored.quiet_end) == (None, None)
