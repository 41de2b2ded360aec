"""project.settings.prod, loaded in a fresh interpreter with a production-like environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "project.settings.prod",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "ripple.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://ripple.example.com",
    # Nothing below is contacted: loading settings and `check --deploy` connect to nothing.
    "DATABASE_URL": "postgres://ripple:secret@db.invalid:5432/ripple",
    "REDIS_URL": "redis://redis.invalid:6379/0",
}


def _run(args: list[str], **env: str | None) -> subprocess.CompletedProcess:
    """Run `python <args>` in the project with only PROD_ENV (plus overrides) set."""
    environment = {"PATH": os.environ.get("PATH", ""), **PROD_ENV}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=90,
    )


def _settings(*names: str, **env: str | None) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = _run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_with_prod_settings_and_a_prod_like_environment():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_SECRET_KEY", None, "DJANGO_SECRET_KEY"),
        ("DJANGO_SECRET_KEY", "  ", "DJANGO_SECRET_KEY"),
        ("REDIS_URL", None, "REDIS_URL"),
        ("DJANGO_ALLOWED_HOSTS", None, "DJANGO_ALLOWED_HOSTS"),
        ("DATABASE_URL", None, "DATABASE_URL"),
        ("DATABASE_URL", "sqlite:///db.sqlite3", "postgres://"),
    ],
)
def test_prod_refuses_to_start_without_a_required_variable(variable, value, message):
    result = _run(["-c", "import project.settings.prod"], **{variable: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_prod_turns_on_https_only_cookies_and_hsts():
    values = _settings(
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        DJANGO_DEBUG="true",
    )

    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["ALLOWED_HOSTS"] == ["ripple.example.com"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://ripple.example.com"]


def test_prod_reads_the_database_from_database_url():
    database = _settings("DATABASES")["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["USER"]) == (
        "db.invalid",
        "ripple",
        "ripple",
    )


def test_prod_shards_the_channel_layer_over_comma_separated_redis_urls():
    layer = _settings(
        "CHANNEL_LAYERS", REDIS_URL="redis://a.invalid:6379/0,redis://b.invalid:6379/0"
    )["CHANNEL_LAYERS"]["default"]

    assert layer["BACKEND"] == "apps.notifications.realtime.layer.RippleRedisChannelLayer"
    assert [host["address"] for host in layer["CONFIG"]["hosts"]] == [
        "redis://a.invalid:6379/0",
        "redis://b.invalid:6379/0",
    ]


def test_prod_finds_redis_through_sentinel():
    layer = _settings(
        "CHANNEL_LAYERS",
        REDIS_URL=None,
        REDIS_SENTINELS="s1.invalid:26379, s2.invalid:26380",
        REDIS_SENTINEL_MASTER="ripple-a,ripple-b",
        REDIS_SENTINEL_PASSWORD="sentinel-secret",
        REDIS_PASSWORD="master-secret",
    )["CHANNEL_LAYERS"]["default"]

    hosts = layer["CONFIG"]["hosts"]
    assert layer["BACKEND"] == "apps.notifications.realtime.layer.RippleRedisChannelLayer"
    assert [host["master_name"] for host in hosts] == ["ripple-a", "ripple-b"]
    for host in hosts:
        assert host["sentinels"] == [["s1.invalid", 26379], ["s2.invalid", 26380]]
        assert host["sentinel_kwargs"]["password"] == "sentinel-secret"
        assert host["password"] == "master-secret"
        assert host["socket_timeout"] is None


def test_prod_sentinel_hosts_build_a_working_channels_redis_pool():
    code = (
        "import django; django.setup(); "
        "from channels.layers import get_channel_layer; "
        "layer = get_channel_layer(); pool = layer.create_pool(0); "
        "print(type(pool).__name__, pool.service_name)"
    )

    result = _run(["-c", code], REDIS_URL=None, REDIS_SENTINELS="s1.invalid:26379")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["SentinelConnectionPool", "mymaster"]


def test_prod_refuses_both_redis_url_and_sentinels():
    result = _run(["-c", "import project.settings.prod"], REDIS_SENTINELS="s1.invalid:26379")

    assert result.returncode != 0
    assert "not both" in result.stderr


def test_prod_refuses_a_sentinel_without_a_port():
    result = _run(
        ["-c", "import project.settings.prod"], REDIS_URL=None, REDIS_SENTINELS="s1.invalid"
    )

    assert result.returncode != 0
    assert "host:port" in result.stderr


def test_prod_logs_json_lines_including_the_servers_own_records():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('apps.test').warning('hello', extra={'path': '/x'}); "
        "logging.getLogger('uvicorn.error').warning('server says')"
    )

    result = _run(["-c", code])

    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines[0]["message"] == "hello"
    assert lines[0]["path"] == "/x"
    assert lines[1]["logger"] == "uvicorn.error"


@pytest.mark.slow
def test_prod_settings_collect_static_files_as_the_image_build_does(tmp_path):
    result = _run(["manage.py", "collectstatic", "--no-input"], DJANGO_STATIC_ROOT=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
    # Imports inside modules point at hashed names too, so each module caches forever.
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    feed = (tmp_path / manifest["ripple/feed.js"]).read_text()
    assert Path(manifest["ripple/app.js"]).name in feed


def test_throttle_counts_live_under_the_deployments_key_prefix():
    # Two deployments (or CI runs) sharing one Redis must not share throttle counts.
    settings = _settings("CACHES", "CHANNEL_LAYERS", CHANNEL_LAYER_PREFIX="ripple-eu")

    assert settings["CACHES"]["default"]["KEY_PREFIX"] == "ripple-eu-cache"
    assert settings["CHANNEL_LAYERS"]["default"]["CONFIG"]["prefix"] == "ripple-eu"
