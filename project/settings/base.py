"""Every setting, read from the environment; dev, test and prod override a handful."""

from pathlib import Path
from typing import Any

import django_stubs_ext

from .env import database_settings, email_settings, env, env_bool, env_int, env_list

# Django's generic classes (ModelAdmin[Post] and the like) accept type arguments at run time
# too, as the type stubs declare them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# --- Core ---
SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.common",
    "apps.accounts",
    "apps.friends",
    "apps.posts",
    "apps.notifications",
    "apps.moderation",
    "apps.direct_messages",
    "apps.digests",
    "apps.web",
]

MIDDLEWARE = [
    # First, so it times everything below it.
    "apps.common.middleware.RequestLogMiddleware",
    # Answers /healthz, /readyz and /metrics before the host check and the HTTPS redirect.
    "apps.common.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Below SecurityMiddleware, so its answers get the security headers too.
    "apps.common.csp.ContentSecurityPolicyMiddleware",
    "apps.common.body_limit.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.SuspendedUserLogoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---
# SQLite is the embedded default for a first run; set DATABASE_URL for PostgreSQL.
DATABASES = {
    # An empty DATABASE_URL counts as unset, as .env.example says of every variable.
    "default": database_settings(env("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads per worker process that run the WebSocket tier's queries (handshakes, replays,
# reconcile ticks) side by side when connections are pooled (apps/common/dbthreads.py).
# Each holds at most one pooled connection while it runs a query; keep it below
# DATABASE_POOL_MAX_SIZE so that HTTP requests still find one.
DATABASE_ASYNC_THREADS = env_int("DATABASE_ASYNC_THREADS", 4)

# --- Auth ---
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# --- Internationalisation ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---
STATIC_URL = "/static/"
# None (dev, test) serves the files from the apps through WhiteNoise's finders instead.
STATIC_ROOT: Path | None = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Channels ---
# Without REDIS_URL the in-memory layer serves a single process (first run, tests).
# It cannot deliver across processes, so every multi-worker deployment sets REDIS_URL.
REDIS_URL = env("REDIS_URL", "")
CHANNEL_LAYER_CAPACITY = env_int("CHANNEL_LAYER_CAPACITY", 100_000)
CHANNEL_LAYER_MAX_CONNECTIONS = env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 1000)
CHANNEL_LAYER_GROUP_EXPIRY = env_int("CHANNEL_LAYER_GROUP_EXPIRY", 300)
CHANNEL_LAYER_COMMAND_TIMEOUT = float(env("CHANNEL_LAYER_COMMAND_TIMEOUT", "0.5"))
CHANNEL_LAYER_PRESENCE_EXPIRY = float(env("CHANNEL_LAYER_PRESENCE_EXPIRY", "60"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "apps.notifications.realtime.layer.RippleRedisChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults to a 5 s socket timeout, which kills the layer's
                # blocking receive on an idle connection; None keeps it waiting.
                "hosts": [
                    {
                        "address": url,
                        "socket_timeout": None,
                        "socket_connect_timeout": 2,
                        # redis-py refuses a 101st concurrent command by default, which
                        # fails WebSocket handshakes during a burst of connects.
                        "max_connections": CHANNEL_LAYER_MAX_CONNECTIONS,
                    }
                    for url in REDIS_URL.split(",")
                ],
                # All consumers of one worker process share one Redis list, so the default
                # capacity of 100 drops messages during a large fan-out.
                # https://channels.readthedocs.io/en/stable/topics/channel_layers.html
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
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "apps.notifications.realtime.layer.RippleInMemoryChannelLayer"}
    }

# --- Cache: the API throttles count requests here ---
# Local memory is per process, so with N workers a client gets N times each rate. With
# Redis (REDIS_CACHE_URL, else the first REDIS_URL) every worker shares one count.
REDIS_CACHE_URL = env("REDIS_CACHE_URL", "") or REDIS_URL.split(",")[0]
if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            # Under the channel layer's prefix, so that deployments (or test runs) sharing a
            # Redis keep their throttle counts apart, and one prefix names all their keys.
            "KEY_PREFIX": f"{env('CHANNEL_LAYER_PREFIX', 'ripple')}-cache",
            # A dead Redis must not hold a request for long; the throttle then lets it by.
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background worker (Celery) ---
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# The broker is the Redis the deployment already runs; without one (the embedded `make run`,
# tests) tasks run eagerly in the process that enqueues them, after the commit.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "") or REDIS_URL.split(",")[0]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
# An eager task that fails is logged by the enqueueing code, never raised into a request.
CELERY_TASK_EAGER_PROPAGATES = False
# The Redis list the web workers publish to and the workers consume; the tests give each
# run its own, since several runs may share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "ripple")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Enqueueing happens on request paths (after commit): a broker that is down or hung must
# cost the request at most about a second, never fail it. No publish retries, short socket
# timeouts; the stored notifications stay the source of truth.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = float(env("CELERY_BROKER_CONNECTION_TIMEOUT", "0.5"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": float(env("CELERY_BROKER_SOCKET_TIMEOUT", "0.5")),
    "socket_connect_timeout": float(env("CELERY_BROKER_CONNECTION_TIMEOUT", "0.5")),
    "max_retries": 0,
    # A task a worker took but did not acknowledge (it died) is delivered again after this.
    "visibility_timeout": 600,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task is acknowledged once done: a worker killed mid-task leaves it to another. A push
# sent twice is shown once (the service worker dedupes by the notification's id).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False

# --- Request size ---
# The largest valid body (a 5,000-character post or message) is well under this;
# RequestBodyLimitMiddleware answers 413 above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# --- REST framework ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.accounts.permissions.IsActiveMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.common.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.common.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Writes a client may make, per user (per client IP for sign-up and login), with
    # apps.common.throttling.WriteRateThrottle; over the rate the API answers 429.
    "DEFAULT_THROTTLE_RATES": {
        "posts": env("RIPPLE_THROTTLE_POSTS", "30/min"),
        "friend_requests": env("RIPPLE_THROTTLE_FRIEND_REQUESTS", "20/min"),
        "blocks": env("RIPPLE_THROTTLE_BLOCKS", "30/min"),
        "messages": env("RIPPLE_THROTTLE_MESSAGES", "60/min"),
        "auth": env("RIPPLE_THROTTLE_AUTH", "10/min"),
    },
    # The client IP is REMOTE_ADDR, which uvicorn --proxy-headers sets from the trusted
    # proxy's X-Forwarded-For; DRF must not read that header again, or a client could
    # pick its own throttle key by sending one.
    "NUM_PROXIES": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ripple API",
    "DESCRIPTION": "Persistent notification inbox with realtime delivery.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PostTypeEnum": "apps.posts.models.Post.Type",
        "NotificationTypeEnum": "apps.notifications.models.Notification.Type",
        "FriendRequestStatusEnum": "apps.friends.models.FriendRequest.Status",
        "RequestsFromEnum": "apps.friends.models.FriendPreference.RequestsFrom",
    },
}

# --- Ripple ---
# How long one batch of pushes may wait on the channel layer before it is given up; the
# stored row is the source of truth. In a worker the request does not wait for it at all.
RIPPLE_PUSH_TIMEOUT_SECONDS = float(env("RIPPLE_PUSH_TIMEOUT_SECONDS", "2"))
# Send a fan-out's pushes in a few Redis round trips (RippleRedisChannelLayer.group_send_many)
# rather than one stock group_send per recipient; off only to measure the difference.
RIPPLE_PUSH_BULK = env_bool("RIPPLE_PUSH_BULK", True)
# How often each worker checks its connections against the database for lost pushes; a
# lost push reaches its client within about two intervals.
RIPPLE_RECONCILE_SECONDS = float(env("RIPPLE_RECONCILE_SECONDS", "1.5"))
# WebSocket abuse limits: sockets per user per worker process, and client frames a second
# (with a burst allowance) before the socket is closed.
RIPPLE_WS_MAX_CONNECTIONS_PER_USER = env_int("RIPPLE_WS_MAX_CONNECTIONS_PER_USER", 10)
RIPPLE_WS_FRAMES_PER_SECOND = float(env("RIPPLE_WS_FRAMES_PER_SECOND", "5"))
RIPPLE_WS_FRAME_BURST = env_int("RIPPLE_WS_FRAME_BURST", 20)
# A post to more friends than this is stored in chunks of this many, each in a short
# transaction of its own; all but the first after the POST has committed.
RIPPLE_FANOUT_CHUNK_SIZE = env_int("RIPPLE_FANOUT_CHUNK_SIZE", 5000)
# Run those later chunks on a thread of the worker process (the POST returns after the
# first); off, the request runs them itself after its commit (the test suite does).
RIPPLE_FANOUT_BACKGROUND = env_bool("RIPPLE_FANOUT_BACKGROUND", True)
# The first chunk of a large fan-out is the friends online now: read from every online
# user while at most this many are online site-wide, else by checking each friend.
RIPPLE_FANOUT_ONLINE_LIST_MAX = env_int("RIPPLE_FANOUT_ONLINE_LIST_MAX", 20000)
# /readyz gives each dependency (database, channel layer) this long to answer.
RIPPLE_READY_TIMEOUT_SECONDS = float(env("RIPPLE_READY_TIMEOUT_SECONDS", "2"))
# `manage.py prune_notifications` deletes read notifications older than the first and
# unread ones older than the second.
RIPPLE_RETENTION_READ_DAYS = env_int("RIPPLE_RETENTION_READ_DAYS", 30)
RIPPLE_RETENTION_UNREAD_DAYS = env_int("RIPPLE_RETENTION_UNREAD_DAYS", 180)
# Friend-request flood limits: pending requests one sender may have out; days before a
# declined request may be sent again to the same person; and, per recipient, how many
# requests an hour from accounts younger than RIPPLE_NEW_ACCOUNT_HOURS are delivered before
# the rest are filtered.
RIPPLE_FRIEND_REQUESTS_MAX_PENDING = env_int("RIPPLE_FRIEND_REQUESTS_MAX_PENDING", 50)
RIPPLE_FRIEND_REQUEST_DECLINED_DAYS = env_int("RIPPLE_FRIEND_REQUEST_DECLINED_DAYS", 30)
RIPPLE_NEW_ACCOUNT_HOURS = env_int("RIPPLE_NEW_ACCOUNT_HOURS", 24)
RIPPLE_NEW_ACCOUNT_REQUESTS_PER_HOUR = env_int("RIPPLE_NEW_ACCOUNT_REQUESTS_PER_HOUR", 20)

# A worker's garbage collection (project/gc_policy.py) logs a warning for any of its
# collections that stalls the event loop longer than this; 0 logs every one (benchmarks).
RIPPLE_GC_SLOW_MS = float(env("RIPPLE_GC_SLOW_MS", "100"))

# --- Email and digests ---
# SMTP from EMAIL_URL or EMAIL_HOST/EMAIL_PORT/... (env.email_settings); dev prints instead.
_email = email_settings()
EMAIL_HOST: str = _email["EMAIL_HOST"]
EMAIL_PORT: int = _email["EMAIL_PORT"]
EMAIL_HOST_USER: str = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD: str = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS: bool = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL: bool = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT: int = _email["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Ripple <ripple@localhost>")
# The absolute address of the site, for the links in emails (no trailing slash).
RIPPLE_SITE_URL = env("RIPPLE_SITE_URL", "http://localhost:8000").rstrip("/")
# A digest tells only of notifications at least this old, to a user who has seen nothing
# (inbox marker) for as long and has no open connection.
RIPPLE_DIGEST_QUIET_SECONDS = env_int("RIPPLE_DIGEST_QUIET_SECONDS", 4 * 3600)
# Users per unit of work in a digest round (one Celery task each, later).
RIPPLE_DIGEST_BATCH_SIZE = env_int("RIPPLE_DIGEST_BATCH_SIZE", 500)
# Entries a digest lists before "and N more".
RIPPLE_DIGEST_MAX_ENTRIES = env_int("RIPPLE_DIGEST_MAX_ENTRIES", 20)

# --- Web Push ---
# VAPID (RFC 8292) identifies this server to the browsers' push services. Production sets
# the key pair (base64url, as `vapid --gen` or web-push's generateVAPIDKeys print them, or a
# PEM private key) and a contact; without a private key Web Push is off. Development and
# tests generate a key once and keep it in RIPPLE_VAPID_KEY_FILE.
RIPPLE_VAPID_PRIVATE_KEY = env("RIPPLE_VAPID_PRIVATE_KEY", "")
RIPPLE_VAPID_PUBLIC_KEY = env("RIPPLE_VAPID_PUBLIC_KEY", "")
RIPPLE_VAPID_SUBJECT = env("RIPPLE_VAPID_SUBJECT", "") or "mailto:webpush@localhost"
RIPPLE_VAPID_GENERATE = env_bool("RIPPLE_VAPID_GENERATE", False)
RIPPLE_VAPID_KEY_FILE = Path(env("RIPPLE_VAPID_KEY_FILE", str(BASE_DIR / "var" / "vapid.pem")))
# A VAPID token is signed once per push-service origin and reused until this much of its
# life is left (push services refuse tokens that expire more than 24 h ahead).
RIPPLE_VAPID_TOKEN_SECONDS = env_int("RIPPLE_VAPID_TOKEN_SECONDS", 12 * 3600)
RIPPLE_VAPID_TOKEN_RENEW_SECONDS = env_int("RIPPLE_VAPID_TOKEN_RENEW_SECONDS", 3600)
# Browsers' endpoints are https; plain http (a local push service) only in development.
RIPPLE_WEBPUSH_ALLOW_HTTP = env_bool("RIPPLE_WEBPUSH_ALLOW_HTTP", False)
# Every request to a push service gives up after this long (from connect to the answer).
RIPPLE_WEBPUSH_TIMEOUT_SECONDS = float(env("RIPPLE_WEBPUSH_TIMEOUT_SECONDS", "5"))
# How long a push service keeps a push for a browser that is offline (the TTL header).
RIPPLE_WEBPUSH_TTL_SECONDS = env_int("RIPPLE_WEBPUSH_TTL_SECONDS", 24 * 3600)
# A 429 or 5xx is tried again after 2, 4, 8... s (or the service's Retry-After), at most
# this many attempts in all and never waiting more than the maximum.
RIPPLE_WEBPUSH_MAX_ATTEMPTS = env_int("RIPPLE_WEBPUSH_MAX_ATTEMPTS", 4)
RIPPLE_WEBPUSH_BACKOFF_SECONDS = float(env("RIPPLE_WEBPUSH_BACKOFF_SECONDS", "2"))
RIPPLE_WEBPUSH_BACKOFF_MAX_SECONDS = float(env("RIPPLE_WEBPUSH_BACKOFF_MAX_SECONDS", "60"))
# Notifications one task sends at most: a larger fan-out is split by id range in the worker.
RIPPLE_WEBPUSH_CHUNK = env_int("RIPPLE_WEBPUSH_CHUNK", 500)
# Requests one task has in flight at once (on the worker process's event loop).
RIPPLE_WEBPUSH_CONCURRENCY = env_int("RIPPLE_WEBPUSH_CONCURRENCY", 16)
# Publish the tasks to the broker, or without one (CELERY_TASK_ALWAYS_EAGER) run them, on a
# thread of the process, at most this many waiting, so that a response never waits for a
# broker or a push service; off, the committing caller does it itself (the test suite
# does, to see eager tasks inside its transaction).
RIPPLE_WEBPUSH_BACKGROUND = env_bool("RIPPLE_WEBPUSH_BACKGROUND", True)
RIPPLE_WEBPUSH_BACKGROUND_QUEUE = env_int("RIPPLE_WEBPUSH_BACKGROUND_QUEUE", 100)
# Browsers one user may subscribe; the oldest subscription goes when one more arrives.
RIPPLE_WEBPUSH_MAX_SUBSCRIPTIONS = env_int("RIPPLE_WEBPUSH_MAX_SUBSCRIPTIONS", 20)

# --- Logging ---
# psycopg's pool logs three INFO records for every connection it lends and takes back: at
# the root's INFO, six JSON lines per WebSocket handshake.
QUIET_LOGGERS: dict[str, dict[str, Any]] = {"psycopg.pool": {"level": "WARNING"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "project.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": QUIET_LOGGERS,
}
