"""/metrics: the registered counters and gauges in the Prometheus text format."""

import asyncio
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from apps.common import prometheus
from apps.notifications import metrics
from tests.factories import UserFactory, make_friends
from tests.wsclient import ahttp_json, recv_json, ws_connect


def _parse(text: str) -> dict[str, dict]:
    """Each unlabelled sample by its name, with its family's HELP and TYPE."""
    assert text.endswith("\n"), "the exposition must end with a newline"
    return {
        sample.name: {"help": family.documentation, "type": family.type, "value": sample.value}
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }


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


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", ""])  # noqa: S603 - a fixed command
    process.wait()
    return process.pid


def test_mark_dead_processes_drops_live_gauges_of_exited_processes_but_keeps_counters(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    for name in [f"gauge_livesum_{dead}.db", f"gauge_livesum_{alive}.db", f"counter_{dead}.db"]:
        (tmp_path / name).write_bytes(b"")

    prometheus.mark_dead_processes(str(tmp_path))

    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"counter_{dead}.db",
        f"gauge_livesum_{alive}.db",
    ]


def test_mark_dead_processes_including_this_one_drops_what_an_earlier_holder_of_its_pid_left(
    tmp_path,
):
    (tmp_path / f"gauge_livesum_{os.getpid()}.db").write_bytes(b"")
    (tmp_path / f"counter_{os.getpid()}.db").write_bytes(b"")

    prometheus.mark_dead_processes(str(tmp_path), including_this_one=True)

    assert [path.name for path in tmp_path.iterdir()] == [f"counter_{os.getpid()}.db"]


WATCHED = [
    "ripple_websocket_connections",
    "ripple_notifications_stored_total",
    "ripple_notifications_pushed_total",
]


def _scrape(worker) -> dict[str, dict]:
    with urllib.request.urlopen(f"{worker.http_url}/metrics", timeout=10) as response:  # noqa: S310
        return _parse(response.read().decode())


async def _scrape_until(worker, expected: dict[str, float], timeout: float = 10) -> dict:
    """The watched values once they equal `expected` (sockets count after their handshake
    and pushes after the commit), or as they are when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while True:
        families = await asyncio.to_thread(_scrape, worker)
        values = {name: families[name]["value"] for name in WATCHED}
        if values == expected or time.monotonic() > deadline:
            return {"values": values, "families": families}
        await asyncio.sleep(0.1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_metrics_of_two_workers_add_up_on_either_and_a_killed_worker_keeps_only_its_counts(
    asgi_workers, tmp_path
):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    authors = [UserFactory(), UserFactory()]
    # Two friends of the first author watch worker a, three of the second watch worker b.
    friends = [[UserFactory() for _ in range(2)], [UserFactory() for _ in range(3)]]
    for author, theirs in zip(authors, friends, strict=True):
        for friend in theirs:
            make_friends(author, friend)
    author_keys = [Token.objects.create(user=author).key for author in authors]
    friend_keys = [[Token.objects.create(user=f).key for f in theirs] for theirs in friends]

    async def scenario(a, b):
        sockets = [await ws_connect(a.ws_url, key) for key in friend_keys[0]]
        sockets += [await ws_connect(b.ws_url, key) for key in friend_keys[1]]
        for worker, key in [(a, author_keys[0]), (b, author_keys[1])]:
            status, _ = await ahttp_json(
                "POST", f"{worker.http_url}/api/posts/", key, {"content": "hi", "type": "thoughts"}
            )
            assert status == 201
        for ws in sockets:
            await recv_json(ws)
        everything = {name: 5.0 for name in WATCHED}
        together = [await _scrape_until(worker, everything) for worker in (a, b)]
        await asyncio.to_thread(b.kill)
        # b's three sockets died with it; what it stored and pushed still happened.
        survivor = await _scrape_until(a, {**everything, "ripple_websocket_connections": 2.0})
        for ws in sockets:
            await ws.close()
        return together, survivor

    with asgi_workers(2, PROMETHEUS_MULTIPROC_DIR=str(directory)) as pool:
        together, survivor = asyncio.run(scenario(*pool.workers))

    assert [scrape["values"] for scrape in together] == [
        {name: 5.0 for name in WATCHED},
        {name: 5.0 for name in WATCHED},
    ]
    assert survivor["values"] == {
        "ripple_websocket_connections": 2.0,
        "ripple_notifications_stored_total": 5.0,
        "ripple_notifications_pushed_total": 5.0,
    }
    assert together[0]["families"]["ripple_websocket_connections"] == {
        "help": metrics.GAUGES["websocket_connections"],
        "type": "gauge",
        "value": 5.0,
    }
    assert together[0]["families"]["ripple_notifications_stored_total"]["type"] == "counter"
