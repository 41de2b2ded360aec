"""What every notification writer shares: the id lock and the payload JSON.

Every writer takes the notification-id lock before allocating ids and holds it to commit,
so ids grow in commit order: a client that has everything up to id N can ask for "after N"
and never skip a row that commits later with a smaller id. Call the writers as the last
write of a transaction, to keep the lock short.
"""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

# An arbitrary constant naming the advisory lock that orders notification ids.
_ID_LOCK_KEY = 0x52_49_50_50_4C_45  # "RIPPLE"


def lock_notification_ids() -> None:
    """Serialise id allocation until commit (PostgreSQL advisory transaction lock).

    SQLite needs nothing: it allows one writing transaction at a time already.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ID_LOCK_KEY])


def to_json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)
