"""Triage: done and undone, bulk done up to an id, the seen marker, states for a reconnect,
and the `notification_updated` event every change pushes."""

import pytest

from apps.notifications.models import InboxMarker, Notification
from apps.notifications.realtime.events import InboxCounts, notification_updated
from apps.notifications.serializers import frame_for
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


def events(pushes, user_id: int) -> list:
    return [event for recipient, event in pushes if recipient == user_id]


def counts(unread: int, unseen: int, last_seen_id: int = 0, version: int = 0) -> InboxCounts:
    return {"unread": unread, "unseen": unseen, "last_seen_id": last_seen_id, "version": version}


def test_done_hides_the_item_from_the_inbox_and_its_counts_and_undone_brings_it_back(
    client, me, pushes, django_capture_on_commit_callbacks
):
    kept, finished = NotificationFactory.create_batch(2, recipient=me)

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"{LIST}{finished.id}/done/")

    assert done.status_code == 200
    assert ids(client.get(LIST)) == [kept.id]
    assert client.get(f"{LIST}unread-count/").json() == {"count": 1}
    assert events(pushes, me.id) == [
        notification_updated(ids=[finished.id], state="done", counts=counts(1, 1))
    ]

    with django_capture_on_commit_callbacks(execute=True):
        undone = client.post(f"{LIST}{finished.id}/undone/")

    assert undone.status_code == 200
    assert ids(client.get(LIST)) == [finished.id, kept.id]
    finished.refresh_from_db()
    assert events(pushes, me.id)[-1] == notification_updated(
        ids=[finished.id], state="undone", counts=counts(2, 2), items=[frame_for(finished)]
    )


def test_delete_is_done_and_can_be_undone(client, me):
    notification = NotificationFactory(recipient=me)

    assert client.delete(f"{LIST}{notification.id}/").status_code == 204
    assert ids(client.get(LIST)) == []
    assert Notification.objects.get(pk=notification.pk).done_at is not None

    assert client.post(f"{LIST}{notification.id}/undone/").status_code == 200
    assert ids(client.get(LIST)) == [notification.id]


@pytest.mark.parametrize("suffix", ["done/", "undone/"])
def test_done_and_undone_of_another_users_item_are_404(client, suffix):
    theirs = NotificationFactory()

    assert client.post(f"{LIST}{theirs.id}/{suffix}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.done_at is None


def test_done_all_is_bounded_by_up_to_and_pushes_the_ids(
    client, me, pushes, django_capture_on_commit_callbacks
):
    shown = NotificationFactory.create_batch(2, recipient=me)
    arrived_meanwhile = NotificationFactory(recipient=me)
    NotificationFactory()  # someone else's

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{LIST}done-all/", {"up_to": shown[-1].id}, format="json")

    assert response.json() == {"updated": 2}
    assert ids(client.get(LIST)) == [arrived_meanwhile.id]
    [event] = events(pushes, me.id)
    assert event["state"] == "done"
    assert sorted(event["ids"]) == [n.id for n in shown]
    assert event["up_to"] == shown[-1].id
    assert event["counts"]["unread"] == 1


@pytest.mark.parametrize("body", [{}, {"up_to": "soon"}, {"up_to": 0}])
def test_done_all_without_a_valid_up_to_is_400_naming_the_field(client, me, body):
    NotificationFactory(recipient=me)

    response = client.post(f"{LIST}done-all/", body, format="json")

    assert response.status_code == 400
    assert "up_to" in response.json()["fields"]
    assert Notification.objects.filter(done_at__isnull=False).count() == 0


def test_read_pushes_the_id_its_read_time_and_the_new_counts(
    client, me, pushes, django_capture_on_commit_callbacks
):
    first, _ = NotificationFactory.create_batch(2, recipient=me)

    with django_capture_on_commit_callbacks(execute=True):
        read = client.post(f"{LIST}{first.id}/read/").json()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{LIST}{first.id}/unread/")

    assert events(pushes, me.id) == [
        notification_updated(
            ids=[first.id], state="read", read_at=read["read_at"], counts=counts(1, 1)
        ),
        notification_updated(ids=[first.id], state="unread", counts=counts(2, 2)),
    ]


def test_read_all_pushes_every_id_it_marked(client, me, pushes, django_capture_on_commit_callbacks):
    marked = NotificationFactory.create_batch(3, recipient=me)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{LIST}read-all/", {"up_to": marked[1].id}, format="json")

    [event] = events(pushes, me.id)
    assert (event["state"], sorted(event["ids"]), event["up_to"]) == (
        "read",
        [marked[0].id, marked[1].id],
        marked[1].id,
    )
    assert event["counts"]["unread"] == 1


def test_seen_marker_moves_forward_only_clamped_to_the_newest_id_and_counts_unseen(
    client, me, pushes, django_capture_on_commit_callbacks
):
    older, newer = NotificationFactory.create_batch(2, recipient=me)
    assert client.get(f"{LIST}seen/").json() == counts(2, 2)

    with django_capture_on_commit_callbacks(execute=True):
        seen = client.post(f"{LIST}seen/", {"last_seen_id": older.id}, format="json")
    assert seen.json() == counts(2, 1, older.id, 1)

    # Beyond the newest id: clamped, so a notification stored later is still unseen.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{LIST}seen/", {"last_seen_id": newer.id + 1000}, format="json")
    later = NotificationFactory(recipient=me)
    assert client.get(f"{LIST}seen/").json() == counts(3, 1, newer.id, 2)

    # Backwards: nothing changes, nothing is pushed.
    with django_capture_on_commit_callbacks(execute=True):
        back = client.post(f"{LIST}seen/", {"last_seen_id": older.id}, format="json")
    assert back.json() == counts(3, 1, newer.id, 2)
    assert [(e["state"], e["up_to"]) for e in events(pushes, me.id)] == [
        ("seen", older.id),
        ("seen", newer.id),
    ]
    assert InboxMarker.objects.get(user=me).last_seen_id == newer.id
    assert later.id > newer.id


def test_seen_bad_value_is_400_naming_the_field(client):
    response = client.post(f"{LIST}seen/", {"last_seen_id": -1}, format="json")

    assert response.status_code == 400
    assert "last_seen_id" in response.json()["fields"]


def test_states_give_the_current_state_of_held_ids_and_leave_out_the_gone(client, me):
    read = NotificationFactory(recipient=me, read=True)
    done = NotificationFactory(recipient=me)
    client.post(f"{LIST}{done.id}/done/")
    theirs = NotificationFactory()
    gone = NotificationFactory(recipient=me)
    gone_id = gone.id
    gone.delete()

    response = client.get(f"{LIST}states/", {"ids": f"{read.id},{done.id},{theirs.id},{gone_id}"})

    body = response.json()
    assert [(s["id"], s["read_at"] is not None, s["done"]) for s in body["results"]] == [
        (done.id, False, True),
        (read.id, True, False),
    ]
    assert body["counts"] == counts(0, 0)


@pytest.mark.parametrize("value", ["", "1,x", ",".join(str(n) for n in range(1, 102))])
def test_states_bad_ids_are_400_naming_the_field(client, value):
    response = client.get(f"{LIST}states/", {"ids": value})

    assert response.status_code == 400
    assert "ids" in response.json()["fields"]


def test_read_all_of_one_actor_and_type_reads_a_conversations_notifications_only(client, me):
    pablo = UserFactory()
    from_pablo = NotificationFactory.create_batch(2, recipient=me, actor=pablo, type="new_message")
    post = NotificationFactory(recipient=me, actor=pablo)
    other = NotificationFactory(recipient=me, type="new_message")

    response = client.post(
        f"{LIST}read-all/", {"actor": pablo.id, "type": "new_message"}, format="json"
    )

    assert response.json() == {"updated": 2}
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("id", flat=True))
    assert unread == {post.id, other.id}
    assert all(n.id not in unread for n in from_pablo)


@pytest.mark.parametrize("held", [1, 50])
def test_states_and_bulk_done_take_the_same_queries_whatever_the_number_of_ids(
    client, me, django_assert_num_queries, held
):
    notifications = NotificationFactory.create_batch(held, recipient=me)
    query = {"ids": ",".join(str(n.id) for n in notifications)}

    # The caller (token), the states, the marker, the counts.
    with django_assert_num_queries(4):
        assert len(client.get(f"{LIST}states/", query).json()["results"]) == held
    # The caller, savepoint, the ids (locked), the update, release.
    with django_assert_num_queries(5):
        client.post(f"{LIST}done-all/", {"up_to": notifications[-1].id}, format="json")
