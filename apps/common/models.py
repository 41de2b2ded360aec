"""Abstract base model shared by the domain models."""

from django.db import models
from django.utils import timezone


class BaseModel(models.Model):
    """Creation and update timestamps.

    `created_at` is not indexed here: each model declares the indexes its read paths need,
    because every index is paid for on each insert.
    """

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
