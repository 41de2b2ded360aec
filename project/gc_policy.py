"""When a worker collects reference cycles.

Every Django/DRF request leaves a few hundred objects in reference cycles (the request and
its session, messages and lazy user; DRF's request, view and parser context; django-filter's
form and the field class it builds per filter), and every closed WebSocket about seventy
(uvicorn's protocol, the consumer, the websockets handshake). They outlive the young
collections while in use, land in the oldest generation and only a full collection frees
them.

A full collection walks every tracked object that is not frozen: about 0.2 µs each on the
2-core CI machine, and a worker holding 5,000 sockets tracks about a million. CPython's own
schedule would stall the event loop that long again and again; collecting a hundred times
more rarely (the old `gc.set_threshold(700, 10, 1000)`) let the request cycles pile up:
3,000 inbox GETs took a worker from 93 MiB to 1 GiB.

So the worker collects in small steps of its own, on its event loop:

- at start-up everything loaded so far is collected once and frozen (it lives as long as
  the process); CPython keeps its default thresholds;
- a *sweep* is a full collection run once the young generations have been collected
  `sweep_after` times since the last one (each about 7,000 container allocations),
  preferably while no HTTP request is in flight. It walks only what is not frozen. Once
  `freeze_at` objects have survived it (sockets opened since, caches), they are frozen, so a
  sweep never walks more than about that many live objects, however many sockets are open;
- frozen objects are never collected, so cycles that die frozen (closed sockets) wait for a
  *compaction*: a sweep that unfreezes first and walks everything. It is the one step that
  costs the whole heap (about 250 ms at 5,000 sockets on that machine), so it runs only
  when the frozen set has grown by `compact_growth` since the last one (CPython's own rule
  for its oldest generation, which amortises the walk over that growth) and at most once
  every `compact_interval` seconds.

The policy counts what it froze itself (`frozen`) and never asks `gc.get_freeze_count()`
after start-up: CPython 3.11 answers it by walking the whole frozen list, about a million
objects cold in memory at 5,000 sockets. Asked twice per sweep (for the compaction rule and
the log line), that walk blocked the loop for 100–600 ms around each 5–30 ms sweep on the
loaded CI machine.
"""

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

# CPython's defaults: young collections stay cheap because they only see young objects.
THRESHOLDS = (700, 10, 10)


@dataclass
class GcPolicy:
    sweep_after: int = 2
    check_every: float = 0.05
    idle_wait: float = 0.5
    freeze_at: int = 20_000
    compact_growth: float = 0.25
    compact_interval: float = 600.0
    slow_ms: float = 100.0
    in_flight: int = 0
    sweeps: int = 0
    compactions: int = 0
    longest_ms: float = 0.0
    frozen: int = 0
    _young_at_sweep: int = 0
    _frozen_at_compaction: int = 0
    _compacted_at: float = 0.0
    _loop: asyncio.AbstractEventLoop | None = None
    _idle: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _task: "asyncio.Task[None] | None" = field(default=None, repr=False)

    def install(self) -> None:
        """Collect and freeze what start-up loaded; call once, before serving."""
        gc.set_threshold(*THRESHOLDS)
        gc.collect()
        gc.freeze()
        # Once, while the heap is start-up's: later it would walk every frozen object.
        self.frozen = gc.get_freeze_count()
        self._frozen_at_compaction = self.frozen
        self._compacted_at = time.monotonic()
        self._young_at_sweep = _young_collections()
        watch_full_collections(lambda: self.slow_ms, lambda: self.frozen)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the sweeps on this (the ASGI server's) loop; idempotent."""
        if self._loop is loop and self._task is not None and not self._task.done():
            return
        self._loop = loop
        self._task = loop.create_task(self._run(), name="gc-policy")

    @contextmanager
    def request(self) -> Iterator[None]:
        """Mark an HTTP request in flight: sweeps wait (a little) for none to be."""
        self.in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()

    def due(self) -> bool:
        return _young_collections() - self._young_at_sweep >= self.sweep_after

    def compaction_due(self) -> bool:
        grown = self.frozen - self._frozen_at_compaction
        return (
            grown > self.compact_growth * self._frozen_at_compaction
            and time.monotonic() - self._compacted_at >= self.compact_interval
        )

    def sweep(self) -> float:
        """One full collection of what is not frozen (of everything, when a compaction is
        due); freeze the survivors once they are many. Returns its milliseconds."""
        compact = self.compaction_due()
        started, cpu_started = time.perf_counter(), time.thread_time()
        if compact:
            gc.unfreeze()
            self.frozen = 0
        with _own_collection():
            found = gc.collect()
        # Survivors of one sweep are often what a request still held: frozen, its cycles
        # would wait for a compaction. Only a pile of them is worth freezing.
        if compact or len(gc.get_objects(generation=2)) >= self.freeze_at:
            self.frozen += _freeze()
        elapsed_ms = (time.perf_counter() - started) * 1000
        # On a loaded machine the wall time includes waiting for a core; the CPU time is
        # what the collection itself costs.
        cpu_ms = (time.thread_time() - cpu_started) * 1000
        self.sweeps += 1
        if compact:
            self.compactions += 1
            self._frozen_at_compaction = self.frozen
            self._compacted_at = time.monotonic()
        self._young_at_sweep = _young_collections()
        self.longest_ms = max(self.longest_ms, elapsed_ms)
        logger.log(
            logging.WARNING if elapsed_ms > self.slow_ms else logging.DEBUG,
            "gc %s: %.1f ms (%.1f ms CPU), %d unreachable, %d frozen",
            "compaction" if compact else "sweep",
            elapsed_ms,
            cpu_ms,
            found,
            self.frozen,
        )
        return elapsed_ms

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            if not self.due():
                continue
            # Between requests the sweep frees a request's cycles at once; under constant
            # traffic it runs anyway, and the next one frees what this one saw in use.
            if self.in_flight:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), self.idle_wait)
            try:
                self.sweep()
            except Exception:  # a sweep must never end the loop's task
                logger.exception("gc sweep failed")


def _freeze() -> int:
    """`gc.freeze()`; returns how many objects it froze, counted in the generations it empties
    (which sweeps keep small) rather than in the frozen list."""
    count = len(gc.get_objects(0)) + len(gc.get_objects(1)) + len(gc.get_objects(2))
    gc.freeze()
    return count


_sweeping = False


@contextmanager
def _own_collection() -> Iterator[None]:
    global _sweeping
    _sweeping = True
    try:
        yield
    finally:
        _sweeping = False


def watch_full_collections(slow_ms: Callable[[], float], frozen: Callable[[], int]) -> None:
    """Log CPython's own full collections (not the sweeps, which log themselves) that take
    longer than `slow_ms()`: the pauses this policy exists to keep short."""
    started: list[float] = []

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2 or _sweeping:
            return
        if phase == "start":
            started[:] = [time.perf_counter(), time.thread_time()]
            return
        if not started:
            return
        wall_ms = (time.perf_counter() - started[0]) * 1000
        cpu_ms = (time.thread_time() - started[1]) * 1000
        if wall_ms > slow_ms():
            logger.warning(
                "gc automatic: %.1f ms (%.1f ms CPU), %d unreachable, %d frozen",
                wall_ms,
                cpu_ms,
                info["collected"],
                frozen(),
            )

    gc.callbacks.append(on_collection)


def _young_collections() -> int:
    collections: int = gc.get_stats()[1]["collections"]
    return collections


policy = GcPolicy()
