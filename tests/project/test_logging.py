"""The JSON log formatter used in production."""

import json
import logging
import sys

from project.logging import JsonFormatter


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
