"""Settings for a developer's machine: debug on, a fixed dev secret, local hosts."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-not-secret")

from .base import *  # noqa: E402, F403

DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Static files come from the app directories through WhiteNoise's finders; no collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
