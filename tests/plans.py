"""What a statement's plan reads when the planner is free to pick any join."""

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext


def statements_of(action: Callable[[], Any]) -> list[str]:
    """The statements `action` runs, with their parameters bound (as PostgreSQL ran them)."""
    with CaptureQueriesContext(connection) as captured:
        action()
    return [query["sql"] for query in captured.captured_queries]


def rows_read_without_nested_loops(sql: str, table: str) -> int:
    """Rows the plan of `sql` reads from `table` when nested-loop joins are off.

    A planner working from stale statistics (a table filled since its last ANALYZE) can
    prefer a hash join that reads a whole table over index probes; turning nested loops off
    makes it take that path wherever a join allows one.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        row = cursor.fetchone()
        # Rolled back: the setting (and anything ANALYZE ran) ends with this block.
        transaction.set_rollback(True)
    assert row is not None
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return sum(
        (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0))
        * node.get("Actual Loops", 1)
        for node in _nodes(plan[0]["Plan"])
        if node.get("Relation Name") == table
    )


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)
