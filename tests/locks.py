"""Watching PostgreSQL's lock waits from a test that races writers against each other."""

import time

from django.db import connection


def waits_on_a_lock(*, seconds: float) -> bool:
    """Whether another backend of this database waits on a lock within `seconds`."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone():
                return True
            time.sleep(0.01)
    return False
