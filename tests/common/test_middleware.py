"""Request logging and the probe short-circuit."""

import logging

import pytest

pytestmark = pytest.mark.django_db

LOGGER = "apps.common.middleware"


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


def test_request_log_records_method_path_status_and_duration(client, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)

    client.get("/api/does-not-exist/?token=secret")

    [record] = _request_records(caplog)
    extra = vars(record)  # the fields the middleware passed as `extra`
    assert record.levelno == logging.INFO
    assert extra["event"] == "http.request"
    assert (extra["method"], extra["path"], extra["status"]) == ("GET", "/api/does-not-exist/", 404)
    assert isinstance(extra["duration_ms"], float)
    assert extra["duration_ms"] >= 0
    assert "secret" not in record.getMessage()


def test_request_log_puts_probes_at_debug(client, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    client.get("/healthz")

    [record] = _request_records(caplog)
    assert record.levelno == logging.DEBUG
    assert (vars(record)["path"], vars(record)["status"]) == ("/healthz", 200)


def test_probe_paths_only_answer_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code != 200
