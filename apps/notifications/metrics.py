"""Process-wide counters of notifications stored, pushed and dropped."""

import threading
from collections import Counter

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def incr(name: str, amount: int = 1) -> None:
    with _lock:
        _counts[name] += amount


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_counts)
