"""Typed readers for settings that come from the environment."""

import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, Any]:
    """Turn `postgres://user:pass@host:port/name` or `sqlite:///path` into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path[1:] if path else ":memory:"}
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"Unsupported DATABASE_URL scheme {parsed.scheme!r}.")
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }


def database_settings(url: str) -> dict[str, Any]:
    """The default DATABASES entry: DATABASE_URL, persistent or pooled connections.

    With PostgreSQL, connections come from a psycopg pool unless DATABASE_CONN_MAX_AGE asks
    for persistent ones (Django allows one or the other): a WebSocket handshake or a request
    borrows an open connection instead of opening one (about 4.5 ms each on loopback), and a
    wait for a free one is bounded by DATABASE_POOL_TIMEOUT.
    """
    database = database_from_url(url)
    database["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)
    if database["ENGINE"] == "django.db.backends.postgresql":
        # A row lock held by a stuck transaction must not hold every request that needs the
        # row: past DATABASE_LOCK_TIMEOUT_MS the statement fails and the API answers 503.
        # DATABASE_STATEMENT_TIMEOUT_MS (0, off, by default) bounds any one statement too.
        bounds = (
            f"-c lock_timeout={env_int('DATABASE_LOCK_TIMEOUT_MS', 10_000)} "
            f"-c statement_timeout={env_int('DATABASE_STATEMENT_TIMEOUT_MS', 0)}"
        )
        given = database["OPTIONS"].get("options")
        database["OPTIONS"]["options"] = f"{given} {bounds}" if given else bounds
    pooled = env_bool("DATABASE_POOL", True) and database["CONN_MAX_AGE"] == 0
    if database["ENGINE"] == "django.db.backends.postgresql" and pooled:
        database["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 8),
            "timeout": float(env("DATABASE_POOL_TIMEOUT", "5")),
        }
    return database


def email_settings() -> dict[str, Any]:
    """Django's SMTP settings from EMAIL_URL (`smtp://user:pass@host:port`, `smtps://` for
    implicit TLS, `?tls=true` for STARTTLS) or from EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
    EMAIL_HOST_PASSWORD, EMAIL_USE_TLS and EMAIL_USE_SSL; EMAIL_TIMEOUT bounds every wait."""
    settings: dict[str, Any] = {
        "EMAIL_HOST": env("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": env_int("EMAIL_PORT", 25),
        "EMAIL_HOST_USER": env("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": env("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", False),
        "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", False),
        "EMAIL_TIMEOUT": env_int("EMAIL_TIMEOUT", 10),
    }
    url = env("EMAIL_URL", "")
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in {"smtp", "smtps"}:
            raise ImproperlyConfigured(f"Unsupported EMAIL_URL scheme {parsed.scheme!r}.")
        options = {key: values[-1].lower() for key, values in parse_qs(parsed.query).items()}
        settings.update(
            EMAIL_HOST=parsed.hostname or "localhost",
            EMAIL_PORT=parsed.port or (465 if parsed.scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_SSL=parsed.scheme == "smtps",
            EMAIL_USE_TLS=options.get("tls") in _TRUE,
        )
    return settings
