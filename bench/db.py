"""A dedicated benchmark database on the DATABASE_URL server, and set-based seeding.

`use_bench_database()` creates the benchmark database (`RIPPLE_BENCH_DATABASE`, default
`ripple_bench`, so two runs on one server need not collide) if missing, points Django's default
connection at it and migrates it, so benchmarks never write into the development or test
database. Seeded rows are keyed by username and reused across runs.
"""

import contextlib
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from psycopg import sql
from rest_framework.authtoken.models import Token

from apps.accounts.models import User
from apps.friends.models import Friendship

BENCH_DATABASE = os.environ.get("RIPPLE_BENCH_DATABASE") or "ripple_bench"

_migrated: set[str] = set()


def bench_database_url(name: str = BENCH_DATABASE) -> str:
    """DATABASE_URL with its database name replaced, for worker processes."""
    parsed = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parsed._replace(path=f"/{name}"))


def _server_params(dbname: str) -> dict[str, Any]:
    current = settings.DATABASES["default"]
    params: dict[str, Any] = {"dbname": dbname, "autocommit": True}
    for key, param in (
        ("HOST", "host"),
        ("PORT", "port"),
        ("USER", "user"),
        ("PASSWORD", "password"),
    ):
        if current.get(key):
            params[param] = current[key]
    return params


def ensure_database(name: str = BENCH_DATABASE) -> None:
    """Create the database on the DATABASE_URL server unless it exists."""
    maintenance = urlparse(os.environ["DATABASE_URL"]).path.lstrip("/") or "postgres"
    with psycopg.connect(**_server_params(maintenance)) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return
        # Another process may create it between the check and here.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def close_connections() -> None:
    """Close every database connection of this process and the pools that keep them, so the
    next query opens a new one (to another database, or in a forked child of its own)."""
    for conn in connections.all():
        conn.close()
        close_pool = getattr(conn, "close_pool", None)
        if close_pool is not None:
            close_pool()


def use_bench_database(name: str = BENCH_DATABASE) -> None:
    """Create, switch Django's default connection to, and migrate the benchmark database.

    Safe to call from every benchmark module: the switch and the migration happen once.
    The connection is closed first, so the next query opens one to the new database; the
    settings dict is shared by every thread's connection, as in Django's test runner.
    """
    if connection.settings_dict["NAME"] == name and name in _migrated:
        return
    ensure_database(name)
    # A pool keeps its connections to the database it was opened on: the next query would
    # reach the previous benchmark's database, not this one.
    close_connections()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name
    call_command("migrate", verbosity=0, interactive=False)
    _migrated.add(name)


def seed_users(*, prefix: str, count: int) -> list[int]:
    """Users `<prefix>1` .. `<prefix><count>` (created if missing); their ids in that order."""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (password, is_superuser, username, first_name, last_name, "
            f"email, is_staff, is_active, date_joined) "
            f"SELECT '!', false, %s || g, '', '', '', false, true, now() "
            f"FROM generate_series(1, %s) g ON CONFLICT (username) DO NOTHING",
            [prefix, count],
        )
        cursor.execute(
            f"SELECT u.id FROM generate_series(1, %s) g "
            f"JOIN {table} u ON u.username = %s || g ORDER BY g",
            [count, prefix],
        )
        return [row[0] for row in cursor.fetchall()]


def seed_friendships(*, user_id: int, friend_ids: Sequence[int]) -> None:
    """Make `user_id` friends with every id in `friend_ids`: both directed rows, one statement."""
    table = Friendship._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, friend_id, created_at) "
            f"SELECT a, b, now() FROM unnest(%s::bigint[]) AS f(id), "
            f"LATERAL (VALUES (%s::bigint, f.id), (f.id, %s::bigint)) AS e(a, b) "
            f"ON CONFLICT (user_id, friend_id) DO NOTHING",
            [list(friend_ids), user_id, user_id],
        )


def seed_tokens(*, user_ids: Sequence[int]) -> list[str]:
    """A DRF token for each user (created if missing), in the order of `user_ids`."""
    table = Token._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, user_id, created) "
            f"SELECT substr(md5(random()::text) || md5(random()::text), 1, 40), u, now() "
            f"FROM unnest(%s::bigint[]) AS u ON CONFLICT (user_id) DO NOTHING",
            [list(user_ids)],
        )
        cursor.execute(
            f"SELECT t.key FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(id, n) "
            f"JOIN {table} t ON t.user_id = u.id ORDER BY u.n",
            [list(user_ids)],
        )
        return [row[0] for row in cursor.fetchall()]
