"""project.settings.dev, loaded in a fresh interpreter with a chosen environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dev_settings(*names: str, **env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "project.settings.dev",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_dev_allows_only_this_machines_own_names_by_default():
    hosts = _dev_settings("ALLOWED_HOSTS")["ALLOWED_HOSTS"]

    assert hosts == ["localhost", "127.0.0.1", "[::1]", "testserver"]


def test_dev_adds_the_hosts_in_django_allowed_hosts():
    hosts = _dev_settings("ALLOWED_HOSTS", DJANGO_ALLOWED_HOSTS="192.0.2.7, laptop.local")[
        "ALLOWED_HOSTS"
    ]

    assert hosts == ["localhost", "127.0.0.1", "[::1]", "testserver", "192.0.2.7", "laptop.local"]


def test_an_empty_database_url_means_the_sqlite_default():
    database = _dev_settings("DATABASES", DATABASE_URL="")["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(ROOT / "db.sqlite3")
