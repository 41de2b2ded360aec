"""Create the demo users pablo and tito as friends, and a demo moderator; safe to run again."""

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.accounts.models import User
from apps.friends.models import Friendship

DEMO_USERS = {"pablo": "pablo-demo-2026", "tito": "tito-demo-2026"}
DEMO_MODERATOR = ("mod", "mod-demo-2026")
# Created with its permissions by the moderation app's migration 0002.
MODERATORS_GROUP = "Moderators"


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo users pablo and tito, friends of each other, and the "
        "demo moderator mod (staff, in the Moderators group)."
    )

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        users = []
        for username, password in DEMO_USERS.items():
            users.append(_demo_user(username, password))
            Token.objects.get_or_create(user=users[-1])
        pablo, tito = users
        Friendship.objects.bulk_create(
            [Friendship(user=pablo, friend=tito), Friendship(user=tito, friend=pablo)],
            ignore_conflicts=True,
        )
        moderator = _demo_user(*DEMO_MODERATOR, is_staff=True)
        moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))

        self.stdout.write("Demo users (friends of each other):")
        for user in users:
            token = Token.objects.get(user=user).key
            password = DEMO_USERS[user.username]
            self.stdout.write(f"  {user.username:<6} password: {password}  token: {token}")
        self.stdout.write(
            f"Demo moderator (log in at /admin/ to remove posts and suspend users):\n"
            f"  {moderator.username:<6} password: {DEMO_MODERATOR[1]}"
        )


def _demo_user(username: str, password: str, *, is_staff: bool = False) -> User:
    """The user as the demo needs it: known password, active, and not suspended (a demo
    suspension from the admin lasts until the next `make run`)."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.is_staff = is_staff
    user.is_active = True
    user.suspended_at = None
    user.suspension_reason = ""
    user.save(
        update_fields=["password", "is_staff", "is_active", "suspended_at", "suspension_reason"]
    )
    return user
