"""Start N Ripple ASGI workers on N ports against one PostgreSQL and one Redis.

    python -m scripts.workers --count 2 --base-port 8001

Used by the multi-worker tests and the benchmarks; also handy to try several workers by
hand (put any proxy in front). Each worker is a separate uvicorn process.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Worker:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """Hard-kill the process (SIGKILL), as a crash would."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class WorkerPool:
    workers: list[Worker] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def _wait_ready(worker: Worker, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"worker on {worker.port} exited:\n{worker.log()}")
        try:
            with socket.create_connection(("127.0.0.1", worker.port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"worker on {worker.port} did not start:\n{worker.log()}")


APP = "project.asgi:application"


def start_worker(
    *, port: int, env: dict[str, str], log_dir: Path, server: str = "uvicorn", app: str = APP
) -> Worker:
    log_path = log_dir / f"worker-{port}.log"
    if server == "daphne":
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        command += ["--websocket_timeout", "-1", app]
    else:
        command = [sys.executable, "-m", "uvicorn", app]
        command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
        command += ["--ws-max-size", "65536", "--ws-per-message-deflate", "false"]
        command += ["--log-level", "warning"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line built here
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return Worker(port=port, process=process, log_path=log_path)


@contextmanager
def running_workers(
    count: int,
    *,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    server: str = "uvicorn",
    timeout: float = 30,
    app: str = APP,
) -> Iterator[WorkerPool]:
    """Start `count` workers on free ports; stop them on exit."""
    worker_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.dev", **(env or {})}
    log_dir = log_dir or ROOT / "var" / "workers"
    log_dir.mkdir(parents=True, exist_ok=True)
    pool = WorkerPool(env=worker_env)
    try:
        for _ in range(count):
            pool.workers.append(
                start_worker(
                    port=free_port(), env=worker_env, log_dir=log_dir, server=server, app=app
                )
            )
        for worker in pool.workers:
            _wait_ready(worker, timeout)
        yield pool
    finally:
        pool.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=8001)
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        parser.error("set REDIS_URL (and DATABASE_URL): workers share them")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.dev"}
    log_dir = ROOT / "var" / "workers"
    log_dir.mkdir(parents=True, exist_ok=True)
    pool = WorkerPool()
    for index in range(args.count):
        worker = start_worker(
            port=args.base_port + index, env=env, log_dir=log_dir, server=args.server
        )
        pool.workers.append(worker)
    for worker in pool.workers:
        _wait_ready(worker, 30)
        print(f"worker {worker.http_url} (log {worker.log_path})")  # noqa: T201
    # `kill` (SIGTERM) stops the workers too, as Ctrl-C does, rather than orphaning them.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        pool.stop()


if __name__ == "__main__":
    main()
