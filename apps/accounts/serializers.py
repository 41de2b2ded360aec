"""The public shape of a user, shared by every app that mentions one."""

from rest_framework import serializers

from .models import User


class UserRefSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "username"]
        read_only_fields = fields
