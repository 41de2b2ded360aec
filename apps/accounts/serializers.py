"""The public shape of a user, shared by every app that mentions one, and the field that
names one in a request."""

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from apps.common.pagination import MAX_INT64

from .models import User, active_members

UNKNOWN_USER = "No user with this id."


class UserRefSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "username"]
        read_only_fields = fields


class UserIdField(serializers.PrimaryKeyRelatedField[User]):
    """A user named by id in a request body; `validated_data` holds the `User`.

    Only active members can be named: a deactivated or suspended account reads as an id
    that names no one. The id is checked as an integer first, so a boolean, a float or a
    string of letters gets the integer field's message, and one beyond 64 bits is refused
    before it reaches the database.
    """

    default_error_messages = {"does_not_exist": UNKNOWN_USER}
    # Always set by __init__ (the base class allows None).
    pk_field: serializers.IntegerField

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", active_members())
        super().__init__(pk_field=serializers.IntegerField(min_value=1), **kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        if data == "":
            # DRF's related fields read "" as null; for an id it is just not a number.
            self.pk_field.run_validation(data)
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> User:
        # DRF applies only pk_field's conversion; its validators (min_value) run here.
        user_id = self.pk_field.run_validation(data)
        if user_id > MAX_INT64:
            self.fail("does_not_exist", pk_value=user_id)
        return super().to_internal_value(user_id)
