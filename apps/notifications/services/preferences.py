"""Notification preferences and muted users."""

from typing import Any

from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError, NotFoundError

from ..models import MutedUser, NotificationPreference

MUTE_SELF = "You cannot mute yourself."
NOT_MUTED = "You have not muted this user."


@transaction.atomic
def preference_update(*, user: User, changes: dict[str, Any]) -> NotificationPreference:
    """Apply validated changes: `{"<type>_<inbox|realtime|email>": bool, "muted_post_types": [...],
    "batch_window_seconds": int}`, any subset. Creates the record on first change."""
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    for name, value in changes.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference


@transaction.atomic
def muted_user_create(*, user: User, muted: User) -> MutedUser:
    if muted.pk == user.pk:
        raise ApplicationError(MUTE_SELF, field="user")
    try:
        with transaction.atomic():
            return MutedUser.objects.create(user=user, muted=muted)
    except IntegrityError:
        # Muting twice is harmless: keep the first.
        return MutedUser.objects.get(user=user, muted=muted)


@transaction.atomic
def muted_user_delete(*, user: User, muted_id: int) -> None:
    deleted, _ = MutedUser.objects.filter(user=user, muted_id=muted_id).delete()
    if not deleted:
        raise NotFoundError(NOT_MUTED, code="not_found")
