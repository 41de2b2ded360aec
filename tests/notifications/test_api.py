from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.notifications.filters import OUT_OF_RANGE
from apps.notifications.models import Notification
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/notifications/"


@pytest.fixture
def me(db):
    return UserFactory()


@pytest.fixture
def client(client_for, me):
    return client_for(me)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def test_list_anonymous_gets_401(api_client):
    assert api_client.get(LIST).status_code == 401


def test_list_returns_own_items_newest_first_with_the_item_shape(client, me):
    actor = UserFactory(username="pablo")
    older = NotificationFactory(recipient=me, actor=actor, data={"x": 1})
    newer = NotificationFactory(recipient=me, actor=actor, read=True)
    NotificationFactory()  # someone else's

    response = client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert ids(response) == [newer.id, older.id]
    assert body["results"][1] == {
        "id": older.id,
        "type": "new_post",
        "actor": {"id": actor.id, "username": "pablo"},
        "data": {"x": 1},
        "created_at": older.created_at.isoformat().replace("+00:00", "Z"),
        "read_at": None,
        "group": {"key": f"n{older.id}", "count": 1},
    }
    assert body["results"][0]["read_at"] is not None


def test_list_paginates_forward_and_back_without_repeats(client, me):
    made = NotificationFactory.create_batch(5, recipient=me)
    newest_first = [n.id for n in reversed(made)]

    first = client.get(LIST, {"page_size": 2})
    second = client.get(first.json()["next"])
    third = client.get(second.json()["next"])
    back = client.get(third.json()["previous"])

    assert ids(first) + ids(second) + ids(third) == newest_first
    assert third.json()["next"] is None
    assert ids(back) == ids(second)


def test_list_page_size_is_capped_at_100(client, me):
    NotificationFactory.create_batch(101, recipient=me)

    response = client.get(LIST, {"page_size": 500})

    assert len(ids(response)) == 100


def test_list_runs_the_same_queries_for_1_and_50_items(client, me, django_assert_num_queries):
    NotificationFactory(recipient=me)
    with django_assert_num_queries(2) as one:
        client.get(LIST)
    NotificationFactory.create_batch(49, recipient=me, actor=UserFactory())

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(LIST, {"page_size": 50})

    assert len(ids(response)) == 50


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"unread": "true"}, ["unread_post", "request"]),
        ({"unread": "false"}, ["read_post"]),
        ({"type": "friend_request"}, ["request"]),
        ({"type": "new_post,friend_request"}, ["unread_post", "request", "read_post"]),
    ],
)
def test_list_filters(client, me, params, expected):
    made = {
        "read_post": NotificationFactory(recipient=me, read=True),
        "request": NotificationFactory(recipient=me, type="friend_request"),
        "unread_post": NotificationFactory(recipient=me),
    }
    by_id = {n.id: name for name, n in made.items()}

    response = client.get(LIST, params)

    assert response.status_code == 200
    assert [by_id[i] for i in ids(response)] == expected


def test_list_type_filter_accepts_repeated_parameters(client, me):
    request = NotificationFactory(recipient=me, type="friend_request")
    message = NotificationFactory(recipient=me, type="new_message")
    NotificationFactory(recipient=me)

    response = client.get(f"{LIST}?type=friend_request&type=new_message")

    assert ids(response) == [message.id, request.id]


def test_list_filters_by_actor_and_creation_time(client, me):
    pablo = UserFactory()
    now = timezone.now()
    old = NotificationFactory(recipient=me, actor=pablo, created_at=now - timedelta(days=2))
    recent = NotificationFactory(recipient=me, actor=pablo, created_at=now - timedelta(hours=1))
    NotificationFactory(recipient=me)

    by_actor = client.get(LIST, {"actor": pablo.id})
    since = client.get(LIST, {"created_after": (now - timedelta(days=1)).isoformat()})
    until = client.get(LIST, {"created_before": (now - timedelta(days=1)).isoformat()})

    assert ids(by_actor) == [recent.id, old.id]
    assert recent.id in ids(since)
    assert old.id not in ids(since)
    assert ids(until) == [old.id]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unread": "maybe"}, "unread"),
        ({"type": "new_post,bogus"}, "type"),
        ({"actor": "abc"}, "actor"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-45"}, "created_before"),
        # Valid in Python, but past year 9999 or before year 1 once converted to UTC.
        ({"created_after": "9999-12-31T23:59:59-01:00"}, "created_after"),
        ({"created_before": "0001-01-01T00:00:00+23:59"}, "created_before"),
        ({"created_after": "0001-01-01T00:00:00+23:59", "grouped": "true"}, "created_after"),
        ({"after": "-3"}, "after"),
        ({"after": "x"}, "after"),
    ],
)
def test_list_bad_filter_value_is_400_naming_the_parameter(client, params, field):
    response = client.get(LIST, params)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_list_datetime_at_the_calendar_edge_is_400_in_the_usual_shape(client):
    response = client.get(LIST, {"created_after": "9999-12-31T23:59:59-01:00"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"created_after: {OUT_OF_RANGE}",
        "code": "invalid",
        "fields": {"created_after": [OUT_OF_RANGE]},
    }


def test_list_after_returns_newer_items_oldest_first_in_pages(client, me):
    seen = NotificationFactory(recipient=me)
    missed = NotificationFactory.create_batch(5, recipient=me)

    first = client.get(LIST, {"after": seen.id, "page_size": 3})
    second = client.get(first.json()["next"])

    assert ids(first) + ids(second) == [n.id for n in missed]
    assert second.json()["next"] is None


def test_unread_count(client, me):
    NotificationFactory.create_batch(3, recipient=me)
    NotificationFactory(recipient=me, read=True)
    NotificationFactory()

    response = client.get("/api/notifications/unread-count/")

    assert response.json() == {"count": 3}


def test_mark_read_and_unread_round_trip(client, me):
    notification = NotificationFactory(recipient=me)

    read = client.post(f"/api/notifications/{notification.id}/read/")
    unread = client.post(f"/api/notifications/{notification.id}/unread/")

    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert unread.status_code == 200
    assert unread.json()["read_at"] is None
    notification.refresh_from_db()
    assert notification.read_at is None


def test_read_all_with_up_to_leaves_newer_items_unread(client, me):
    shown = NotificationFactory.create_batch(2, recipient=me)
    arrived_meanwhile = NotificationFactory(recipient=me)

    response = client.post("/api/notifications/read-all/", {"up_to": shown[-1].id}, format="json")

    assert response.json() == {"updated": 2}
    assert Notification.objects.get(pk=arrived_meanwhile.pk).read_at is None
    assert not Notification.objects.filter(pk__in=[n.pk for n in shown], read_at=None).exists()


def test_read_all_without_up_to_marks_everything_and_only_mine(client, me):
    NotificationFactory.create_batch(2, recipient=me)
    other = NotificationFactory()

    response = client.post("/api/notifications/read-all/", {}, format="json")

    assert response.json() == {"updated": 2}
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_read_all_bad_up_to_is_400_naming_the_field(client):
    response = client.post("/api/notifications/read-all/", {"up_to": "soon"}, format="json")

    assert response.status_code == 400
    assert "up_to" in response.json()["fields"]


def test_dismiss_marks_the_item_done(client, me):
    notification = NotificationFactory(recipient=me)

    response = client.delete(f"/api/notifications/{notification.id}/")

    assert response.status_code == 204
    assert Notification.objects.get(pk=notification.pk).done_at is not None


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", "read/"), ("post", "unread/"), ("delete", "")],
)
def test_another_users_notification_is_404_and_unchanged(client, method, suffix):
    theirs = NotificationFactory()

    response = getattr(client, method)(f"/api/notifications/{theirs.id}/{suffix}")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_routes_have_verb_names():
    assert reverse("notifications:mark-read", args=[1]) == "/api/notifications/1/read/"
