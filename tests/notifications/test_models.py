import pytest

from apps.notifications.models import Inbox, Notification
from tests.factories import NotificationFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_deleting_a_user_deletes_their_notifications_both_ways():
    """The table has no database foreign keys; Django's collector still cascades."""
    gone, other = UserFactory(), UserFactory()
    NotificationFactory(recipient=gone, actor=other)
    NotificationFactory(recipient=other, actor=gone)
    kept = NotificationFactory(recipient=other, actor=other)

    gone.delete()

    assert list(Notification.objects.all()) == [kept]


def test_deleting_a_post_deletes_its_notifications():
    post = PostFactory()
    NotificationFactory(post=post)
    kept = NotificationFactory()

    post.delete()

    assert list(Notification.objects.all()) == [kept]


def test_a_deleted_users_inbox_row_goes_with_them():
    user = UserFactory()
    Inbox.objects.create(user=user)

    user.delete()

    assert not Inbox.objects.exists()
