"""`manage.py seed_demo`: the demo friends and the demo moderator `make run` prints."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from apps.accounts.management.commands.seed_demo import DEMO_MODERATOR, DEMO_USERS
from apps.accounts.models import User
from apps.friends.models import Friendship
from apps.posts.services import post_create

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_creates_pablo_and_tito_as_friends_and_prints_their_passwords():
    out = _seed()

    pablo, tito = User.objects.get(username="pablo"), User.objects.get(username="tito")
    assert Friendship.objects.filter(user=pablo, friend=tito).exists()
    assert Friendship.objects.filter(user=tito, friend=pablo).exists()
    for username, password in DEMO_USERS.items():
        assert f"{username:<6} password: {password}" in out


def test_seed_creates_a_staff_moderator_in_the_moderators_group_and_prints_the_password():
    out = _seed()

    username, password = DEMO_MODERATOR
    moderator = User.objects.get(username=username)
    assert moderator.is_staff
    assert not moderator.is_superuser
    assert list(moderator.groups.values_list("name", flat=True)) == ["Moderators"]
    assert moderator.check_password(password)
    assert f"{username:<6} password: {password}" in out
    assert "/admin/" in out


def test_the_demo_moderator_can_log_in_to_the_admin_and_remove_a_post():
    _seed()
    pablo = User.objects.get(username="pablo")
    post = post_create(author=pablo, content="remove me", type="thoughts")
    admin = Client()

    login = admin.post(
        "/admin/login/?next=/admin/",
        {"username": DEMO_MODERATOR[0], "password": DEMO_MODERATOR[1]},
        follow=True,
    )
    removal = admin.post(
        "/admin/posts/post/",
        {"action": "remove_posts", "_selected_action": [str(post.id)], "reason": "demo"},
        follow=True,
    )

    assert login.status_code == 200
    assert "Site administration" in login.content.decode()
    assert "Removed 1 post(s)." in removal.content.decode()
    post.refresh_from_db()
    assert post.removed_by is not None
    assert post.removed_by.username == DEMO_MODERATOR[0]


def test_seeding_again_keeps_one_of_each_and_lifts_a_demo_suspension():
    _seed()
    User.objects.filter(username="pablo").update(suspended_at="2026-01-01T00:00Z")

    _seed()

    assert User.objects.filter(username__in=[*DEMO_USERS, DEMO_MODERATOR[0]]).count() == 3
    assert Friendship.objects.count() == 2
    assert not User.objects.get(username="pablo").is_suspended
    assert User.objects.get(username=DEMO_MODERATOR[0]).groups.count() == 1
