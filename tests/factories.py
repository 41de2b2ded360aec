"""One factory per model, with minimal valid defaults."""

from typing import TYPE_CHECKING, Any, Generic, TypeVar

import factory
from django.db.models import Model
from django.utils import timezone
from rest_framework.authtoken.models import Token

from apps.accounts.models import User
from apps.direct_messages.models import Message
from apps.friends.models import Block, FriendRequest, Friendship
from apps.notifications.models import Notification
from apps.posts.models import Like, Post, Reply

PASSWORD = "correct-horse-battery-staple"

ModelT = TypeVar("ModelT", bound=Model)


class ModelFactory(factory.django.DjangoModelFactory[ModelT], Generic[ModelT]):
    """factory-boy's model factory, typed so that `UserFactory()` is a `User`."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # factory-boy's metaclass turns the call into `create()`, which returns the model;
        # mypy reads only __new__, so it is told the same here.
        def __new__(cls, *args: Any, **kwargs: Any) -> ModelT: ...  # type: ignore[misc]


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save(update_fields=["password"])


class TokenFactory(ModelFactory[Token]):
    class Meta:
        model = Token
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class FriendRequestFactory(ModelFactory[FriendRequest]):
    class Meta:
        model = FriendRequest

    from_user = factory.SubFactory(UserFactory)
    to_user = factory.SubFactory(UserFactory)


class FriendshipFactory(ModelFactory[Friendship]):
    """One directional edge; use `make_friends` for a real (two-row) friendship."""

    class Meta:
        model = Friendship

    user = factory.SubFactory(UserFactory)
    friend = factory.SubFactory(UserFactory)


class BlockFactory(ModelFactory[Block]):
    """A bare Block row; `block_create` is the service that also ends what it must."""

    class Meta:
        model = Block

    blocker = factory.SubFactory(UserFactory)
    blocked = factory.SubFactory(UserFactory)


def make_friends(a: User, b: User) -> None:
    Friendship.objects.bulk_create([Friendship(user=a, friend=b), Friendship(user=b, friend=a)])


class PostFactory(ModelFactory[Post]):
    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Post number {n}")
    type = Post.Type.THOUGHTS


class LikeFactory(ModelFactory[Like]):
    class Meta:
        model = Like

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)


class ReplyFactory(ModelFactory[Reply]):
    class Meta:
        model = Reply

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Reply {n}")


class MessageFactory(ModelFactory[Message]):
    class Meta:
        model = Message

    sender = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Message {n}")


class NotificationFactory(ModelFactory[Notification]):
    class Meta:
        model = Notification

    class Params:
        read = factory.Trait(read_at=factory.LazyFunction(timezone.now))

    recipient = factory.SubFactory(UserFactory)
    actor = factory.SubFactory(UserFactory)
    type = Notification.Type.NEW_POST
    data = factory.LazyFunction(dict)
