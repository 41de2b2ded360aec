"""Reads over direct messages."""

from django.db.models import Q, QuerySet

from apps.accounts.models import User

from .models import Message


def message_conversation(*, user: User, other_id: int) -> QuerySet[Message]:
    """Messages between the user and `other_id`, both directions."""
    return Message.objects.filter(
        Q(sender_id=user.pk, recipient_id=other_id) | Q(sender_id=other_id, recipient_id=user.pk)
    ).select_related("sender", "recipient")
