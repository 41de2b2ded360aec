import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.friends.services import friend_request_accept, friend_request_create
from apps.notifications import metrics
from apps.notifications.models import Notification
from apps.notifications.serializers import NotificationSerializer
from apps.notifications.services import notifications_create_for_post
from apps.posts.serializers import PostSerializer
from apps.posts.services import post_create
from tests.factories import NotificationFactory, PostFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db


def _author_with_friends(count: int):
    author = UserFactory()
    friends = UserFactory.create_batch(count)
    for friend in friends:
        make_friends(author, friend)
    return author, friends


def test_create_for_post_stores_one_row_per_friend_with_the_post_json(
    pushes, django_capture_on_commit_callbacks
):
    author, friends = _author_with_friends(3)
    stranger = UserFactory()
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=True):
        stored = notifications_create_for_post(post=post)

    rows = Notification.objects.filter(post=post)
    assert stored == 3
    assert {n.recipient_id for n in rows} == {f.id for f in friends}
    assert not rows.filter(recipient__in=[author, stranger]).exists()
    assert all(n.data == PostSerializer(post).data for n in rows)
    assert all(n.type == "new_post" and n.actor_id == author.id and n.read_at is None for n in rows)


def test_create_for_post_pushes_the_stored_frame_after_commit(
    pushes, django_capture_on_commit_callbacks
):
    author, friends = _author_with_friends(2)
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications_create_for_post(post=post)
        assert pushes == []
    callbacks[0]()

    [batch] = pushes.batches
    by_recipient = {user_id: event for user_id, event in batch}
    for notification in Notification.objects.filter(post=post):
        frame = by_recipient[notification.recipient_id]["frame"]
        assert frame == {
            "type": "new_post",
            "id": notification.id,
            "actor": {"id": author.id, "username": author.username},
            "created_at": notification.created_at.isoformat().replace("+00:00", "Z"),
            "read_at": None,
            "data": notification.data,
            "group": {"key": notification.group_key, "count": 1},
        }
        # One shape: the pushed frame is the item the REST inbox returns for this row.
        assert frame == NotificationSerializer(notification).data


def test_create_for_post_rolled_back_stores_and_pushes_nothing(
    pushes, django_capture_on_commit_callbacks
):
    author, _ = _author_with_friends(2)

    def post_then_fail():
        with transaction.atomic():
            post_create(author=author, content="oops", type="thoughts")
            raise RuntimeError("roll back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        post_then_fail()

    assert Notification.objects.count() == 0
    assert pushes == []


def test_create_for_post_runs_the_same_queries_for_few_and_many_friends(
    pushes, django_assert_num_queries, django_capture_on_commit_callbacks
):
    small_author, _ = _author_with_friends(2)
    large_author, _ = _author_with_friends(60)
    small_post, large_post = PostFactory(author=small_author), PostFactory(author=large_author)
    with (
        django_capture_on_commit_callbacks() as small_cb,
        CaptureQueriesContext(connection) as small,
    ):
        notifications_create_for_post(post=small_post)

    with (
        django_capture_on_commit_callbacks() as large_cb,
        django_assert_num_queries(len(small.captured_queries)),
    ):
        stored = notifications_create_for_post(post=large_post)

    assert stored == 60
    statements = [q["sql"] for q in small.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 5  # chunk bound, inbox rows, their lock, previous ids, insert
    assert len(small_cb) == len(large_cb) == 2  # the realtime push and the Web Push enqueue


def test_create_for_post_carries_each_recipients_previous_id(
    pushes, django_capture_on_commit_callbacks
):
    author, (old_friend, new_friend) = _author_with_friends(2)
    earlier = NotificationFactory(recipient=old_friend)
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=True):
        notifications_create_for_post(post=post)

    prev = {user_id: event["prev_id"] for user_id, event in pushes.batches[0]}
    assert prev == {old_friend.id: earlier.id, new_friend.id: None}


def test_post_create_by_user_without_friends_stores_nothing(pushes):
    author = UserFactory()

    post_create(author=author, content="alone", type="thoughts")

    assert Notification.objects.count() == 0


def test_friend_request_notifies_the_addressee(pushes, django_capture_on_commit_callbacks):
    pablo, tito = UserFactory(username="pablo"), UserFactory(username="tito")

    with django_capture_on_commit_callbacks(execute=True):
        request = friend_request_create(from_user=pablo, to_user=tito)

    notification = Notification.objects.get(recipient=tito)
    assert notification.type == "friend_request"
    assert notification.data == {
        "request_id": request.id,
        "from_user": {"id": pablo.id, "username": "pablo"},
    }
    [[(user_id, event)]] = pushes.batches
    assert user_id == tito.id
    assert event["frame"]["data"] == notification.data


def test_friend_accept_notifies_the_requester(pushes, django_capture_on_commit_callbacks):
    pablo, tito = UserFactory(username="pablo"), UserFactory(username="tito")
    request = friend_request_create(from_user=pablo, to_user=tito)

    with django_capture_on_commit_callbacks(execute=True):
        friend_request_accept(request_id=request.id, user=tito)

    notification = Notification.objects.get(recipient=pablo)
    assert notification.type == "friend_accepted"
    assert notification.data == {"user": {"id": tito.id, "username": "tito"}}


def test_push_failure_is_counted_and_never_raises(monkeypatch, django_capture_on_commit_callbacks):
    class BrokenLayer:
        async def group_send_many(self, messages):
            raise ConnectionError("redis is down")

    monkeypatch.setattr("apps.notifications.realtime.push.get_channel_layer", BrokenLayer)
    author, _ = _author_with_friends(2)
    before = metrics.snapshot().get("notifications_push_failed", 0)

    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, content="still stored", type="thoughts")

    assert Notification.objects.filter(post=post).count() == 2
    assert metrics.snapshot()["notifications_push_failed"] == before + 2
