"""Settings for the test suite: fast and hermetic; DATABASE_URL picks PostgreSQL."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
# API write limits high enough that neither the suite nor the workers it starts (they
# inherit this environment) are ever throttled; throttle tests lower them per test.
# The test process keeps plain connections: pytest-django creates and drops the test
# database through them. The workers it starts turn the pool back on (tests/conftest.py).
os.environ.setdefault("DATABASE_POOL", "false")
# Tasks run in the test process even when REDIS_URL is set: no worker consumes the broker
# unless a test starts one (and sets this to false for the processes it starts).
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
for _scope in ("POSTS", "FRIEND_REQUESTS", "BLOCKS", "MESSAGES", "AUTH"):
    os.environ[f"RIPPLE_THROTTLE_{_scope}"] = "100000/min"

from .base import *  # noqa: E402, F403

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CHANNEL_LAYERS = {
    "default": {"BACKEND": "apps.notifications.realtime.layer.RippleInMemoryChannelLayer"}
}
# Large fan-outs finish inside the call that posts, where the test can see them.
RIPPLE_FANOUT_BACKGROUND = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the app directories through WhiteNoise's finders; no collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Web Push: a VAPID key generated once and kept in var/; the tests' push service is http.
RIPPLE_VAPID_GENERATE = True
RIPPLE_WEBPUSH_ALLOW_HTTP = True
# Eager Web Push tasks run inside the commit that enqueued them, where the test sees them
# (a thread of their own could not read a test's uncommitted rows).
RIPPLE_WEBPUSH_BACKGROUND = False
