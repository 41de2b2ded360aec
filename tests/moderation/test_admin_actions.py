"""Moderation through the Django admin: removal, suspension, the log, and who may do it."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.authtoken.models import Token

from apps.moderation.models import ModerationLog
from apps.moderation.services import REASON_REQUIRED
from apps.notifications.models import Notification
from apps.posts.models import Post
from apps.posts.services import post_create
from tests.factories import NotificationFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_push(pushes):
    """Pushes are captured, not sent."""


@pytest.fixture
def moderator():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_action(user, changelist: str, action: str, ids: list[int], reason: str = "spam"):
    return admin_client(user).post(
        changelist,
        {"action": action, "_selected_action": [str(i) for i in ids], "reason": reason},
        follow=True,
    )


@pytest.fixture
def posted(db):
    """pablo posted to two friends; one of them has an older unrelated notification."""
    pablo, tito, ana = UserFactory(), UserFactory(), UserFactory()
    make_friends(pablo, tito)
    make_friends(pablo, ana)
    post = post_create(author=pablo, content="bad", type="thoughts")
    other = NotificationFactory(recipient=tito)
    return pablo, tito, ana, post, other


def test_remove_posts_action_retracts_notifications_from_feed_inbox_and_count(
    moderator, posted, client_for
):
    pablo, tito, ana, post, other = posted
    tito_api = client_for(tito)
    assert tito_api.get("/api/notifications/unread-count/").json() == {"count": 2}

    response = run_action(moderator, "/admin/posts/post/", "remove_posts", [post.id], "spam")

    assert response.status_code == 200
    assert "Removed 1 post(s)." in response.content.decode()
    assert tito_api.get(f"/api/posts/{post.id}/").status_code == 404
    assert tito_api.get("/api/posts/").json()["results"] == []
    assert [n["id"] for n in tito_api.get("/api/notifications/").json()["results"]] == [other.id]
    assert tito_api.get("/api/notifications/unread-count/").json() == {"count": 1}
    assert not Notification.objects.filter(post=post).exists()
    post.refresh_from_db()
    assert (post.removed_by, post.removal_reason) == (moderator, "spam")
    log = ModerationLog.objects.get()
    assert (log.moderator, log.action, log.object_ids, log.reason) == (
        moderator,
        "remove_posts",
        [post.id],
        "spam",
    )
    assert log.details == {"notifications_retracted": 2}


def test_remove_posts_without_reason_changes_nothing(moderator, posted):
    post = posted[3]

    response = run_action(moderator, "/admin/posts/post/", "remove_posts", [post.id], reason=" ")

    assert REASON_REQUIRED in response.content.decode()
    assert Post.objects.get(pk=post.pk).removed_at is None
    assert Notification.objects.filter(post=post).count() == 2
    assert not ModerationLog.objects.exists()


def test_staff_without_the_moderators_group_cannot_remove_posts(posted):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Group.objects.get(name="Moderators").permissions.filter(codename="view_post")
    )
    post = posted[3]

    run_action(staff, "/admin/posts/post/", "remove_posts", [post.id])

    assert Post.objects.get(pk=post.pk).removed_at is None
    assert not ModerationLog.objects.exists()


def test_non_staff_cannot_reach_the_admin(posted):
    response = admin_client(UserFactory()).get("/admin/posts/post/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_moderators_group_has_exactly_the_moderation_permissions():
    codenames = set(
        Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True)
    )

    assert codenames == {
        "view_post",
        "remove_post",
        "view_user",
        "suspend_user",
        "limit_user",
        "view_moderationlog",
    }


def test_suspend_action_locks_the_user_out_and_retracts_their_unread_notifications(
    moderator, posted, client_for, api_client
):
    pablo, tito, ana, post, other = posted
    Notification.objects.filter(recipient=ana).update(read_at=post.created_at)
    pablo_api = client_for(pablo)

    run_action(moderator, "/admin/accounts/user/", "suspend_users", [pablo.id], "abuse")

    pablo.refresh_from_db()
    assert pablo.is_suspended
    assert pablo.suspension_reason == "abuse"
    me = pablo_api.get("/api/me/")
    assert me.status_code == 403
    assert me.json()["detail"] == "This account is suspended."
    refused = pablo_api.post("/api/posts/", {"content": "x", "type": "thoughts"}, format="json")
    assert refused.status_code == 403
    token = api_client.post(
        "/api/auth/token/",
        {"username": pablo.username, "password": "correct-horse-battery-staple"},
        format="json",
    )
    assert token.status_code == 403
    # Unread ones to others are retracted; what ana had already read stays as history.
    assert not Notification.objects.filter(recipient=tito, actor=pablo).exists()
    assert Notification.objects.filter(recipient=ana, actor=pablo).count() == 1
    assert ModerationLog.objects.get().action == "suspend_users"


def test_suspended_user_cannot_log_in_on_the_page(moderator, posted):
    pablo = posted[0]
    run_action(moderator, "/admin/accounts/user/", "suspend_users", [pablo.id], "abuse")

    response = Client().post(
        "/login/", {"username": pablo.username, "password": "correct-horse-battery-staple"}
    )

    assert response.status_code == 200
    assert "This account is suspended." in response.content.decode()


def test_lift_suspension_restores_access_and_is_logged(moderator, posted, client_for):
    pablo = posted[0]
    run_action(moderator, "/admin/accounts/user/", "suspend_users", [pablo.id], "abuse")

    run_action(moderator, "/admin/accounts/user/", "lift_suspension", [pablo.id], "appeal won")

    assert client_for(pablo).get("/api/me/").status_code == 200
    assert list(ModerationLog.objects.order_by("id").values_list("action", flat=True)) == [
        "suspend_users",
        "lift_suspension",
    ]


def test_moderation_log_is_read_only_in_the_admin(moderator, posted):
    run_action(moderator, "/admin/posts/post/", "remove_posts", [posted[3].id])
    log = ModerationLog.objects.get()
    client = admin_client(moderator)

    assert client.get("/admin/moderation/moderationlog/").status_code == 200
    assert client.get("/admin/moderation/moderationlog/add/").status_code == 403
    assert client.post(f"/admin/moderation/moderationlog/{log.id}/delete/").status_code == 403


def test_author_deleting_their_post_retracts_its_notifications(posted, client_for):
    pablo, tito, ana, post, other = posted

    client_for(pablo).delete(f"/api/posts/{post.id}/")

    assert not Notification.objects.filter(post=post).exists()
    assert Token.objects.filter(user=pablo).exists()
