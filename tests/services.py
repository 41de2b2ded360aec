"""Detect the real PostgreSQL and Redis the integration tests need."""

import functools
import os
import socket
from urllib.parse import urlparse


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


@functools.cache
def missing_services() -> list[str]:
    missing = []
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        missing.append("PostgreSQL (set DATABASE_URL=postgres://...)")
    elif not _reachable(database_url, 5432):
        missing.append(f"PostgreSQL at {urlparse(database_url).hostname}")
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        missing.append("Redis (set REDIS_URL=redis://...)")
    elif not _reachable(redis_url, 6379):
        missing.append(f"Redis at {urlparse(redis_url).hostname}")
    return missing
