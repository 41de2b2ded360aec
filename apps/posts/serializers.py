"""The post JSON: the one shape used by the API and inside notifications."""

from rest_framework import serializers

from apps.accounts.serializers import UserRefSerializer

from .models import Post, Reply


class PostSerializer(serializers.ModelSerializer[Post]):
    author = UserRefSerializer()
    target_profile = UserRefSerializer(allow_null=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "author",
            "content",
            "type",
            "created_at",
            "target_profile",
            "likes_count",
            "reply_count",
        ]
        read_only_fields = fields


class ReplySerializer(serializers.ModelSerializer[Reply]):
    author = UserRefSerializer()

    class Meta:
        model = Reply
        fields = ["id", "post", "author", "content", "created_at"]
        read_only_fields = fields
