"""Run the benchmarks: `python -m bench [name ...]` (default: all)."""

import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path

import django


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.dev")
    # Request logs of the in-process measurements would bury the tables.
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing or not os.environ["DATABASE_URL"].startswith("postgres"):
        print(
            "The benchmarks measure PostgreSQL and Redis: set DATABASE_URL=postgres://... "
            "and REDIS_URL=redis://..."
        )
        return 2
    # The fan-outs measured here publish their Web Push tasks, as in production, to a queue
    # no worker reads: a queue of this run's own, deleted at the end.
    queue = os.environ.setdefault("CELERY_QUEUE", f"ripple-bench-{os.getpid()}")
    django.setup()
    here = Path(__file__).parent
    names = sorted(
        info.name for info in pkgutil.iter_modules([str(here)]) if info.name.startswith("bench_")
    )
    if argv:
        names = [n for n in names if any(arg in n for arg in argv)]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        print(f"# {name}: {(module.__doc__ or name).strip().splitlines()[0]}\n", flush=True)
        for table in module.run():
            print(table.render(), flush=True)
        print(f"({name} took {time.perf_counter() - started:.1f} s)\n", flush=True)
    _delete_queue(queue)
    return 0


def _delete_queue(queue: str) -> None:
    import redis
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("redis"):
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
