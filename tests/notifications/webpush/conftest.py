import pytest

from tests.notifications.webpush.pushservice import PushService, start_push_service


@pytest.fixture
def push_service():
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture(autouse=True)
def _quick_retries(settings) -> None:
    # Eager tasks ignore countdowns; the delays themselves are tested on their own.
    settings.RIPPLE_WEBPUSH_BACKOFF_SECONDS = 0.01


__all__ = ["PushService"]


@pytest.fixture
def celery_worker(tmp_path):
    """Start a real Celery worker process on this run's database and Redis, consuming a
    queue of its own; returns the environment web workers need to publish to it."""
    import os
    import subprocess
    import sys
    import time
    import uuid
    from contextlib import contextmanager
    from pathlib import Path

    from django.db import connection

    root = Path(__file__).resolve().parents[3]

    @contextmanager
    def start(pool: str = "solo", **extra: str):
        database = dict(connection.settings_dict)
        url = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
        queue = f"ripple-test-{uuid.uuid4().hex[:12]}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "project.settings.dev",
            "DATABASE_URL": url,
            "CELERY_QUEUE": queue,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CHANNEL_LAYER_PREFIX": extra.pop("CHANNEL_LAYER_PREFIX", "test"),
            **extra,
        }
        log_path = tmp_path / "celery.log"
        command = [sys.executable, "-m", "celery", "-A", "project", "worker", f"--pool={pool}"]
        if pool == "prefork":
            command.append("--concurrency=1")
        command += ["--without-gossip", "--without-mingle", "--loglevel=INFO", "-Q", queue]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while b"ready." not in log_path.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"celery worker did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield {"CELERY_QUEUE": queue, "CELERY_TASK_ALWAYS_EAGER": "false"}
        except BaseException:
            print(f"--- celery worker log ---\n{log_path.read_text()}")  # noqa: T201
            raise
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            import redis

            # The queue and the bindings kombu keeps beside it: nothing of this test stays.
            client = redis.Redis.from_url(os.environ["REDIS_URL"])
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
            # kombu's record of the worker's remote-control binding, when it is the only one.
            if client.zrange("_kombu.binding_deadlines", 0, -1) == [b"celery.pidbox"]:
                client.delete("_kombu.binding_deadlines")

    return start
