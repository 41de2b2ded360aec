"""Direct message service."""

import pytest
from django.core.exceptions import ValidationError

from apps.common.exceptions import ForbiddenError
from apps.direct_messages.models import TEXT_MAX_LENGTH, Message
from apps.direct_messages.services import NOT_FRIENDS, message_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_message_send_between_friends_saves_message(friends):
    alice, bob = friends

    message = message_send(sender=alice, recipient=bob, text="Hi Bob")

    message.refresh_from_db()
    assert (message.sender, message.recipient, message.text) == (alice, bob, "Hi Bob")


@pytest.mark.parametrize("recipient", ["stranger", "self"])
def test_message_send_to_non_friend_raises_forbidden(user, recipient):
    other = UserFactory() if recipient == "stranger" else user

    with pytest.raises(ForbiddenError, match=NOT_FRIENDS):
        message_send(sender=user, recipient=other, text="Hi")

    assert not Message.objects.exists()


@pytest.mark.parametrize("text", ["", "x" * (TEXT_MAX_LENGTH + 1)], ids=["empty", "too-long"])
def test_message_send_invalid_text_raises_validation_error(friends, text):
    alice, bob = friends

    with pytest.raises(ValidationError):
        message_send(sender=alice, recipient=bob, text=text)

    assert not Message.objects.exists()
