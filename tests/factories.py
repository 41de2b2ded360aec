"""One factory per model, with minimal valid defaults."""

import factory
from django.utils import timezone
from rest_framework.authtoken.models import Token

from apps.accounts.models import User
from apps.direct_messages.models import Message
from apps.friends.models import FriendRequest, Friendship
from apps.notifications.models import Notification
from apps.posts.models import Like, Post, Reply

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save(update_fields=["password"])


class TokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Token
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class FriendRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FriendRequest

    from_user = factory.SubFactory(UserFactory)
    to_user = factory.SubFactory(UserFactory)


class FriendshipFactory(factory.django.DjangoModelFactory):
    """One directional edge; use `make_friends` for a real (two-row) friendship."""

    class Meta:
        model = Friendship

    user = factory.SubFactory(UserFactory)
    friend = factory.SubFactory(UserFactory)


def make_friends(a: User, b: User) -> None:
    Friendship.objects.bulk_create([Friendship(user=a, friend=b), Friendship(user=b, friend=a)])


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Post number {n}")
    type = Post.Type.THOUGHTS


class LikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Like

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)


class ReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reply

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Reply {n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    sender = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Message {n}")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    class Params:
        read = factory.Trait(read_at=factory.LazyFunction(timezone.now))

    recipient = factory.SubFactory(UserFactory)
    actor = factory.SubFactory(UserFactory)
    type = Notification.Type.NEW_POST
    data = factory.LazyFunction(dict)
