"""The JSON log formatter used in production."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from project.logging import DropWebSocketChatter, JsonFormatter


def _record(message: str = "hello %s", args: tuple = ("world",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("ripple.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_json_formatter_writes_one_object_with_the_standard_fields():
    line = JsonFormatter().format(_record())

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "hello world"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "ripple.test"
    assert isinstance(entry["process"], int)
    assert entry["time"].endswith("+00:00")


def test_json_formatter_adds_extra_fields_and_keeps_record_internals_out():
    entry = json.loads(JsonFormatter().format(_record(status=503, path="/readyz")))

    assert entry["status"] == 503
    assert entry["path"] == "/readyz"
    assert "args" not in entry
    assert "msg" not in entry
    assert "levelno" not in entry


def test_json_formatter_writes_values_json_cannot_hold_as_strings():
    entry = json.loads(JsonFormatter().format(_record(peer=object(), ids={3})))

    assert entry["peer"].startswith("<object object")
    assert entry["ids"] == "{3}"


def test_json_formatter_includes_the_exception_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "ripple.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "failed"
    assert "ValueError: boom" in entry["exception"]
    assert "Traceback" in entry["exception"]


def test_json_formatter_keeps_non_ascii_text_readable():
    entry = JsonFormatter().format(_record("café %s", ("☕",)))

    assert "café ☕" in entry


def test_json_formatter_works_through_logging_config(capsys):
    logger = logging.getLogger("ripple.test.config")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("request", extra={"method": "GET", "duration_ms": 1.5})
    finally:
        logger.removeHandler(handler)

    entry = json.loads(capsys.readouterr().out)
    assert (entry["message"], entry["method"], entry["duration_ms"]) == ("request", "GET", 1.5)


def _uvicorn_record(message: str, args: tuple = ()) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, message, args, None)


def test_uvicorns_per_socket_records_are_dropped_and_refusals_kept():
    chatter = DropWebSocketChatter()
    socket = ("127.0.0.1:5000", "/ws/notifications/")

    assert not chatter.filter(_uvicorn_record("connection open"))
    assert not chatter.filter(_uvicorn_record("connection closed"))
    assert not chatter.filter(_uvicorn_record('%s - "WebSocket %s" [accepted]', socket))
    assert chatter.filter(_uvicorn_record('%s - "WebSocket %s" 403', socket))
    assert chatter.filter(_uvicorn_record("Started server process [%d]", (1,)))


def test_the_connection_pool_logs_no_record_per_borrowed_connection():
    # psycopg_pool logs each lend and return at INFO, the root's level in production.
    assert not logging.getLogger("psycopg.pool").isEnabledFor(logging.INFO)
    assert logging.getLogger("psycopg.pool").isEnabledFor(logging.WARNING)


def test_production_logging_writes_no_uvicorn_access_line_and_no_socket_chatter():
    # The settings are applied in a process of their own, as a worker applies them after
    # uvicorn's `--no-access-log` has silenced its access logger.
    probe = (
        "import logging\n"
        "access = logging.getLogger('uvicorn.access')\n"
        "access.handlers = []\n"
        "access.propagate = False\n"
        "import django\n"
        "django.setup()\n"
        "error = logging.getLogger('uvicorn.error')\n"
        "print(access.hasHandlers(), [type(f).__name__ for f in error.filters],\n"
        "      logging.getLogger('psycopg.pool').isEnabledFor(logging.INFO))\n"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.prod",
        "DJANGO_SECRET_KEY": "test-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_LOG_LEVEL": "INFO",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }

    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert result.stdout.split("\n")[-2] == "False ['DropWebSocketChatter'] False"
