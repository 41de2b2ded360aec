"""`manage.py check_database`, run by `make run` and `make migrate` before `migrate`."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from scripts.workers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _check(database_url: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "project.settings.dev",
        "DATABASE_URL": database_url,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check_database"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _postgres_url(name: str) -> str:
    database = connection.settings_dict
    return (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{name}"
    )


@pytest.mark.services
@pytest.mark.django_db
def test_a_database_that_does_not_exist_gets_one_line_with_the_createdb_command():
    name = f"ripple_missing_{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or "5432"

    result = _check(_postgres_url(name))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f'CommandError: Database "{name}" does not exist on {host}:{port}. '
        f"Create it with: createdb -h {host} -p {port} -U {database['USER']} {name}"
    ]


@pytest.mark.services
@pytest.mark.django_db
def test_a_database_that_exists_passes_silently():
    result = _check(_postgres_url(connection.settings_dict["NAME"]))

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_server_that_is_not_there_gets_one_line_saying_so():
    port = free_port()  # nothing listens on it

    result = _check(f"postgres://postgres@127.0.0.1:{port}/ripple")

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"CommandError: Cannot connect to PostgreSQL at 127.0.0.1:{port}")
    assert "Connection refused" in lines[0]
    assert "DATABASE_URL" in lines[0]


def test_sqlite_passes_and_creates_its_file(tmp_path):
    result = _check(f"sqlite:///{tmp_path / 'db.sqlite3'}")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "db.sqlite3").exists()
