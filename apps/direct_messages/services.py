"""Direct message writes."""

from django.db import transaction

from apps.accounts.models import User
from apps.common.exceptions import ForbiddenError
from apps.friends.services import friendship_hold
from apps.notifications.models import Notification
from apps.notifications.serializers import format_datetime
from apps.notifications.services import notification_create

from .models import Message

NOT_FRIENDS = "You can only send messages to your friends."


@transaction.atomic
def message_send(*, sender: User, recipient: User, text: str) -> Message:
    # Held, not just read: a block that starts now waits for this message, then retracts
    # its notification.
    if not friendship_hold(user_id=sender.pk, other_id=recipient.pk):
        raise ForbiddenError(NOT_FRIENDS, code="permission_denied")
    message = Message(sender=sender, recipient=recipient, text=text)
    message.full_clean()
    message.save()
    notification_create(
        recipient_id=recipient.pk,
        actor=sender,
        type=Notification.Type.NEW_MESSAGE,
        data={
            "message_id": message.pk,
            "from_user": {"id": sender.pk, "username": sender.username},
            "text": text,
            "created_at": format_datetime(message.created_at),
        },
    )
    return message
