"""Settings for a developer's machine: debug on, a fixed dev secret, local hosts and any
in DJANGO_ALLOWED_HOSTS."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-not-secret")

from .base import *  # noqa: E402, F403
from .env import env_list  # noqa: E402

DEBUG = True
# This machine's own names always; DJANGO_ALLOWED_HOSTS adds others, such as its address on
# the local network when phones connect to `HOST=0.0.0.0 make run` (which adds it itself).
ALLOWED_HOSTS = [
    "localhost",
    "127.0.0.1",
    "[::1]",
    "testserver",
    *env_list("DJANGO_ALLOWED_HOSTS", ""),
]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Static files come from the app directories through WhiteNoise's finders; no collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Web Push: a VAPID key generated on first use and kept in var/; a local push service may be http.
RIPPLE_VAPID_GENERATE = True
RIPPLE_WEBPUSH_ALLOW_HTTP = True
