"""Health and metrics of the Celery worker, on a small HTTP port of its own.

`WORKER_METRICS_PORT` (off by default; the compose `worker` service sets 9100) makes the
worker's main process serve, on `WORKER_METRICS_HOST` (127.0.0.1 by default):

- `/metrics`: prometheus_client's text format, as the web's `/metrics` serves it: the Web
  Push counters (`ripple_webpush_sent_total`...) and `ripple_worker_tasks_total` by task
  and state, summed over the pool's processes;
- `/healthz`: 200 while the broker answers within WORKER_HEALTH_TIMEOUT_SECONDS (2), else
  503, with the check's time or error in the JSON body.

A port of its own rather than the web's `/metrics`: the worker runs in its own container,
so it cannot write to the web workers' metrics directory, and a scrape of the web must not
depend on the worker (nor the other way round). The pool's processes are forked, so the
counters they move reach the main process through prometheus_client's multiprocess mode:
a `PROMETHEUS_MULTIPROC_DIR` of the worker's own, emptied at start like the web's
(docker/serve.sh), or a private temporary one when none is given.
"""

import contextlib
import json
import logging
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_tasks_counter: Any = None
_tasks_counter_lock = threading.Lock()


def metrics_port() -> int:
    return int(os.environ.get("WORKER_METRICS_PORT") or 0)


def is_worker_process() -> bool:
    """`celery ... worker`, told from the command line: no Celery signal comes early enough
    (prometheus_client is imported with Django's apps, before the first worker signal)."""
    program = Path(sys.argv[0])
    # The `celery` script, or `python -m celery` (celery/__main__.py).
    by_celery = program.name == "celery" or program.parent.name == "celery"
    return by_celery and "worker" in sys.argv[1:]


def prepare_metrics_dir() -> None:
    """Before the pool forks and before prometheus_client is imported (it picks its
    multiprocess mode at import): give this worker an empty metrics directory."""
    if not metrics_port() or not is_worker_process():
        return
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if "prometheus_client" in sys.modules and not directory:
        logger.warning("worker metrics: prometheus_client already loaded, pool counters lost")
        return
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ripple-worker-metrics-")


def count_task(task_name: str, state: str) -> None:
    """One more task of this name ended in this state (SUCCESS, FAILURE, RETRY...)."""
    global _tasks_counter
    with _tasks_counter_lock:
        if _tasks_counter is None:
            # Imported here, not with the module: see prepare_metrics_dir.
            from prometheus_client import Counter

            _tasks_counter = Counter(
                "ripple_worker_tasks",
                "Celery tasks the worker ran, by task and state.",
                ["task", "state"],
            )
    _tasks_counter.labels(task=task_name, state=state.lower()).inc()


def serve(broker_check: Any) -> ThreadingHTTPServer | None:
    """Start the HTTP server on a daemon thread; `broker_check(timeout)` raises when the
    broker cannot be reached."""
    port = metrics_port()
    if not port:
        return None
    from apps.common import prometheus

    timeout = float(os.environ.get("WORKER_HEALTH_TIMEOUT_SECONDS") or 2)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] == "/metrics":
                self._answer(200, prometheus.exposition(), prometheus.CONTENT_TYPE)
            elif self.path.split("?", 1)[0] == "/healthz":
                status, body = _health(broker_check, timeout)
                self._answer(status, json.dumps(body).encode(), "application/json")
            else:
                self._answer(404, b'{"status": "not found"}', "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # a scrape every few seconds would bury the worker's log

    host = os.environ.get("WORKER_METRICS_HOST") or "127.0.0.1"
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    logger.info("worker health and metrics on http://%s:%d/", host, port)
    return server


def _health(broker_check: Any, timeout: float) -> tuple[int, dict[str, Any]]:
    started = time.perf_counter()
    check: dict[str, Any] = {"status": "ok"}
    # A hung broker costs the probe its timeout at most: the check runs on a thread of its
    # own and is abandoned when late.
    outcome: list[BaseException | None] = []
    thread = threading.Thread(target=_run_check, args=(broker_check, timeout, outcome), daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        check = {"status": "error", "error": f"timed out after {timeout:g}s"}
    elif outcome[0] is not None:
        error = outcome[0]
        check = {"status": "error", "error": f"{type(error).__name__}: {error}"[:300]}
    check["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    ok = check["status"] == "ok"
    body: dict[str, Any] = {"status": "ok" if ok else "error", "checks": {"broker": check}}
    return (200 if ok else 503), body


def _run_check(broker_check: Any, timeout: float, outcome: list[BaseException | None]) -> None:
    try:
        broker_check(timeout)
    except Exception as error:
        outcome.append(error)
    else:
        outcome.append(None)
