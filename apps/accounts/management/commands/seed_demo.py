"""Create the demo users pablo and tito as friends; safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.accounts.models import User
from apps.friends.models import Friendship

DEMO_USERS = {"pablo": "pablo-demo-2026", "tito": "tito-demo-2026"}


class Command(BaseCommand):
    help = "Create (or reset) the demo users pablo and tito, friends of each other."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        users = []
        for username, password in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.save(update_fields=["password"])
            Token.objects.get_or_create(user=user)
            users.append(user)
        pablo, tito = users
        Friendship.objects.bulk_create(
            [Friendship(user=pablo, friend=tito), Friendship(user=tito, friend=pablo)],
            ignore_conflicts=True,
        )
        self.stdout.write("Demo users (friends of each other):")
        for user in users:
            token = Token.objects.get(user=user).key
            password = DEMO_USERS[user.username]
            self.stdout.write(f"  {user.username:<6} password: {password}  token: {token}")
