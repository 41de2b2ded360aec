"""Production settings: everything from the environment, secrets required, HTTPS only.

Refuses to load without DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, a PostgreSQL DATABASE_URL
and a Redis channel layer (REDIS_URL, or REDIS_SENTINELS). `manage.py check --deploy`
passes with these defaults. See .env.example for every variable.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CHANNEL_LAYER_CAPACITY,
    CHANNEL_LAYER_COMMAND_TIMEOUT,
    CHANNEL_LAYER_GROUP_EXPIRY,
    CHANNEL_LAYER_MAX_CONNECTIONS,
    CHANNEL_LAYER_PRESENCE_EXPIRY,
    LOGGING,
    QUIET_LOGGERS,
    REDIS_URL,
    SECRET_KEY,
    STATIC_ROOT,
)
from .env import database_settings, env, env_bool, env_int, env_list

DEBUG = False

# --- Secrets and hosts: required, no defaults ---
if not SECRET_KEY.strip():
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a long random value.")
env("DJANGO_ALLOWED_HOSTS")  # raises when unset: base.py's localhost default is for dev
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS to the site's host names.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# --- Database: PostgreSQL only; several workers would serialise on SQLite's one writer ---
DATABASES = {"default": database_settings(env("DATABASE_URL"))}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Set DATABASE_URL to a postgres:// URL in production.")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Channel layer: Redis, sharded over several URLs or found through Sentinel ---
REDIS_SENTINELS = env_list("REDIS_SENTINELS", "")


def _sentinel(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ImproperlyConfigured(f"REDIS_SENTINELS entries are host:port, got {address!r}.")
    return host, int(port)


def _sentinel_hosts() -> list[dict[str, Any]]:
    """One channels-redis host per master name; several names shard like several URLs."""
    sentinels = [_sentinel(address) for address in REDIS_SENTINELS]
    sentinel_kwargs: dict[str, Any] = {"socket_timeout": 2, "socket_connect_timeout": 2}
    if password := env("REDIS_SENTINEL_PASSWORD", ""):
        sentinel_kwargs["password"] = password
    master_kwargs: dict[str, Any] = {
        # As in base.py: no read timeout, or the layer's blocking receive dies when idle.
        "socket_timeout": None,
        "socket_connect_timeout": 2,
        "max_connections": CHANNEL_LAYER_MAX_CONNECTIONS,
        "db": env_int("REDIS_SENTINEL_DB", 0),
    }
    if password := env("REDIS_PASSWORD", ""):
        master_kwargs["password"] = password
    return [
        {
            "sentinels": sentinels,
            "master_name": master,
            "sentinel_kwargs": sentinel_kwargs,
            **master_kwargs,
        }
        for master in env_list("REDIS_SENTINEL_MASTER", "mymaster")
    ]


if REDIS_SENTINELS and REDIS_URL:
    raise ImproperlyConfigured("Set REDIS_URL or REDIS_SENTINELS, not both.")
if REDIS_SENTINELS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "apps.notifications.realtime.layer.RippleRedisChannelLayer",
            "CONFIG": {
                "hosts": _sentinel_hosts(),
                "capacity": CHANNEL_LAYER_CAPACITY,
                "expiry": 60,
                # A member nobody refreshes (its worker died, its leave failed) stops
                # receiving after this; every worker re-adds its live members three times
                # as often (realtime/reconciler.py).
                "group_expiry": CHANNEL_LAYER_GROUP_EXPIRY,
                # Every call but the blocking receive gives up after this (a hung Redis).
                "command_timeout": CHANNEL_LAYER_COMMAND_TIMEOUT,
                # A user stays "online" this long after the last refresh by a worker that
                # holds a socket of theirs; a dead worker's users drop out after it
                # (realtime/presence.py).
                "presence_expiry": CHANNEL_LAYER_PRESENCE_EXPIRY,
                "prefix": env("CHANNEL_LAYER_PREFIX", "ripple"),
            },
        }
    }
elif not REDIS_URL:
    raise ImproperlyConfigured(
        "Set REDIS_URL (or REDIS_SENTINELS): production needs the Redis channel layer."
    )
# Otherwise base.py has built the layer from REDIS_URL (comma-separated URLs shard).

# --- HTTPS ---
# The proxy terminates TLS and says so in X-Forwarded-Proto (nginx sets it from $scheme).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Django's defaults, pinned here so that no change of default weakens production. The CSRF
# cookie stays readable by the pages' script, which sends it back as X-CSRFToken.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Static files: collected into the image, served by WhiteNoise with far-future caching ---
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(STATIC_ROOT)))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "apps.common.storage.StaticStorage"},
}

# --- Logging: one JSON object per line, uvicorn's own records included ---
# RequestLogMiddleware writes the access log with durations, so uvicorn.access stays silent.
# It must be named here: configuring "uvicorn" resets its existing children, which undid
# `--no-access-log` and wrote a second line for every request.
LOGGING = {
    **LOGGING,
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "filters": {"websocket_chatter": {"()": "project.logging.DropWebSocketChatter"}},
    "loggers": {
        **QUIET_LOGGERS,
        **{
            name: {
                "handlers": ["console"],
                "level": "INFO",
                "propagate": False,
                "filters": ["websocket_chatter"],
            }
            for name in ("uvicorn", "uvicorn.error")
        },
        "uvicorn.access": {"handlers": [], "propagate": False},
    },
}
