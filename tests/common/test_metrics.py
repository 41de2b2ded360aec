"""/metrics: this process's counters and gauges in the Prometheus text format."""

import math
import re

import pytest

from apps.common import prometheus
from apps.common.prometheus import Metric
from apps.notifications import metrics

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*) (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)$")


def _parse(text: str) -> dict[str, dict]:
    """A strict reader of the subset we write: HELP, TYPE, then one unlabelled sample."""
    families: dict[str, dict] = {}
    lines = text.split("\n")
    assert lines[-1] == "", "the exposition must end with a newline"
    for line in lines[:-1]:
        if line.startswith("# HELP "):
            name, help_text = line[len("# HELP ") :].split(" ", 1)
            families.setdefault(name, {})["help"] = help_text
        elif line.startswith("# TYPE "):
            name, kind = line[len("# TYPE ") :].split(" ")
            assert "help" in families[name], f"{name}: TYPE before HELP"
            families[name]["type"] = kind
        else:
            match = SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name, value = match.groups()
            assert families[name]["type"] in {"counter", "gauge"}
            families[name]["value"] = float(value)
    return families


def test_metrics_exposes_notification_counters_and_the_connection_gauge(client):
    metrics.incr("notifications_stored", 3)
    metrics.gauge_add("websocket_connections", 2)
    stored = metrics.counters()["notifications_stored"]
    open_sockets = metrics.gauges()["websocket_connections"]

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = _parse(response.content.decode())
    assert families["ripple_notifications_stored_total"]["type"] == "counter"
    assert families["ripple_notifications_stored_total"]["value"] == stored
    assert families["ripple_websocket_connections"] == {
        "help": metrics.GAUGES["websocket_connections"],
        "type": "gauge",
        "value": open_sockets,
    }
    assert families["process_start_time_seconds"]["type"] == "gauge"
    metrics.gauge_add("websocket_connections", -2)


def test_metrics_lists_every_known_counter_even_before_its_first_increment(client):
    families = _parse(client.get("/metrics").content.decode())

    for name in metrics.COUNTERS:
        assert f"ripple_{name}_total" in families


def test_metrics_answers_any_host_without_authentication(client, settings):
    settings.ALLOWED_HOSTS = ["ripple.example.com"]

    response = client.get("/metrics", HTTP_HOST="10.0.0.7:8000")

    assert response.status_code == 200


def test_gauge_add_moves_the_gauge_up_and_down():
    before = metrics.gauges()["websocket_connections"]

    metrics.gauge_add("websocket_connections", 1)
    metrics.gauge_add("websocket_connections", 1)
    metrics.gauge_add("websocket_connections", -1)

    assert metrics.gauges()["websocket_connections"] == before + 1
    metrics.gauge_add("websocket_connections", -1)


def test_counters_keep_snapshot_and_add_unseen_known_names_at_zero():
    metrics.incr("something_new")

    counters = metrics.counters()

    assert counters["something_new"] == metrics.snapshot()["something_new"]
    assert set(metrics.COUNTERS) <= set(counters)


def test_render_writes_help_type_and_sample_for_each_metric():
    text = prometheus.render(
        [
            Metric(name="a_total", kind="counter", help="Line one\nback\\slash", value=5),
            Metric(name="b", kind="gauge", help="B.", value=1.5),
        ]
    )

    assert text == (
        "# HELP a_total Line one\\nback\\\\slash\n"
        "# TYPE a_total counter\n"
        "a_total 5\n"
        "# HELP b B.\n"
        "# TYPE b gauge\n"
        "b 1.5\n"
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [(0, "0"), (12.0, "12"), (0.25, "0.25"), (math.inf, "+Inf"), (-math.inf, "-Inf")],
)
def test_render_formats_values_as_the_text_format_expects(value, written):
    text = prometheus.render([Metric(name="x", kind="gauge", help="x", value=value)])

    assert text.splitlines()[-1] == f"x {written}"


def test_render_writes_nan_as_nan():
    text = prometheus.render([Metric(name="x", kind="gauge", help="x", value=math.nan)])

    assert text.splitlines()[-1] == "x NaN"


def test_render_of_nothing_is_empty():
    assert prometheus.render([]) == ""


@pytest.mark.parametrize(
    ("raw", "counter", "name"),
    [
        ("notifications_pushed", True, "ripple_notifications_pushed_total"),
        ("bytes_total", True, "ripple_bytes_total"),
        ("open sockets", False, "ripple_open_sockets"),
        ("web-socket.connections", False, "ripple_web_socket_connections"),
    ],
)
def test_metric_name_is_valid_and_counters_end_in_total(raw, counter, name):
    assert prometheus.metric_name(raw, prefix="ripple_", counter=counter) == name


def test_metric_name_never_starts_with_a_digit():
    assert prometheus.metric_name("5xx_responses") == "_5xx_responses"
