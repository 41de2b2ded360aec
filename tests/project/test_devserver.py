"""scripts/devserver.py, `make run`'s server: where to open it, and who may."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.devserver import lan_addresses, plan
from scripts.workers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_on_localhost_it_prints_one_url_and_allows_nothing_more():
    env, lines = plan("127.0.0.1", "8000", {}, ["192.0.2.7"], "laptop")

    assert lines[0].startswith("Ripple on http://127.0.0.1:8000/")
    assert len(lines) == 1
    assert "DJANGO_ALLOWED_HOSTS" not in env
    assert env["DJANGO_SETTINGS_MODULE"] == "project.settings.dev"


def test_on_every_interface_it_allows_and_prints_this_machines_addresses():
    env, lines = plan("0.0.0.0", "9000", {}, ["192.0.2.7", "198.51.100.3"], "laptop")  # noqa: S104

    assert env["DJANGO_ALLOWED_HOSTS"] == "192.0.2.7,198.51.100.3,laptop,laptop.local"
    assert "  on this machine:      http://127.0.0.1:9000/" in lines
    assert "  from another device:  http://192.0.2.7:9000/" in lines
    assert "  from another device:  http://198.51.100.3:9000/" in lines


def test_without_a_known_address_it_offers_the_machines_name_and_says_what_to_do():
    env, lines = plan("0.0.0.0", "9000", {}, [], "laptop")  # noqa: S104

    assert env["DJANGO_ALLOWED_HOSTS"] == "laptop,laptop.local"
    assert "  from another device:  http://laptop.local:9000/" in lines
    assert any("DJANGO_ALLOWED_HOSTS" in line for line in lines)


def test_a_django_allowed_hosts_of_ones_own_is_kept_and_shown():
    env, lines = plan(
        "0.0.0.0",  # noqa: S104
        "9000",
        {"DJANGO_ALLOWED_HOSTS": "ripple.lan"},
        ["192.0.2.7"],
        "laptop",
    )

    assert env["DJANGO_ALLOWED_HOSTS"] == "ripple.lan"
    assert "  allowed host names: localhost and ripple.lan" in lines


def test_lan_addresses_are_ipv4_and_not_loopback():
    addresses = lan_addresses()

    assert all(":" not in a and not a.startswith("127.") for a in addresses)
    assert len(addresses) == len(set(addresses))


def _get(port: int, host_header: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/login/", headers={"Host": host_header}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_on_every_interface_a_request_naming_this_machine_is_served(tmp_path):
    """What a phone on the same network sends: this machine's name in the Host header."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOST": "0.0.0.0",  # noqa: S104 - the case under test
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.devserver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None  # stdout=PIPE
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the dev server did not start"
                time.sleep(0.1)
        name = socket.gethostname()

        assert _get(port, f"{name}:{port}") == 200
        assert _get(port, f"not-this-machine.example:{port}") == 400
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert f"  on this machine:      http://127.0.0.1:{port}/" in output
    assert "from another device:  http://" in output
