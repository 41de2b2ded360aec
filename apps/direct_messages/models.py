"""Direct messages between friends."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone

TEXT_MAX_LENGTH = 5000


class Message(models.Model):
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_messages"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="received_messages"
    )
    # TextField's max_length only sizes form widgets; the validator makes full_clean enforce it.
    text = models.TextField(
        max_length=TEXT_MAX_LENGTH, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["sender", "recipient", "-id"], name="dm_conversation"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} {self.sender_id} -> {self.recipient_id}"
