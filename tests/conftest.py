"""Shared fixtures: API clients, users, the channel layer, and the real-services gate."""

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.accounts.models import User
from tests.factories import UserFactory, make_friends


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[None]:
    """With --reuse-db the database comes from an earlier run whose transactional tests
    flushed it, which also deleted the rows data migrations create: put them back.

    On PostgreSQL the test database also commits without waiting for its WAL to reach the
    disk, and transactional tests empty it with DELETE rather than TRUNCATE (below)."""
    from django.apps import apps
    from django.db import connection
    from django.db.models.signals import post_migrate

    with django_db_blocker.unblock():
        _restore_migration_data()
        groups = _groups_with_permissions()
        if connection.vendor == "postgresql":
            _commit_without_waiting_for_the_disk(connection)

    # A transactional test's flush deletes those rows too. In one process pytest-django runs
    # every other database test first; pytest-xdist mixes them, so the flush (which sends
    # post_migrate when it is done) puts the groups back.
    last_app = [config for config in apps.get_app_configs() if config.models_module][-1]

    def restore_groups(sender, using: str = "default", **kwargs) -> None:
        # post_migrate is sent once per app; after the last one every permission is back.
        if sender is last_app:
            _recreate_groups(groups, using)

    post_migrate.connect(restore_groups, weak=False, dispatch_uid="tests-restore-groups")
    try:
        if connection.vendor != "postgresql":
            yield
            return
        with pytest.MonkeyPatch.context() as patch:
            operations = type(connection.ops)
            patch.setattr(operations, "sql_flush", _flush_by_delete(operations.sql_flush))
            yield
    finally:
        post_migrate.disconnect(dispatch_uid="tests-restore-groups")
        _close_the_async_database_thread()


def _close_the_async_database_thread() -> None:
    """Async tests run their `database_sync_to_async` calls on asgiref's one thread, whose
    connection outlives them (the consumer skips Channels' closing hop on disconnect, see
    NotificationConsumer.websocket_disconnect): it would keep the test database from being
    dropped."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


def _groups_with_permissions() -> dict[str, list[tuple[str, str]]]:
    """The groups the migrations made, each with its permissions as (app label, codename)."""
    from django.contrib.auth.models import Group

    return {
        group.name: [
            (permission.content_type.app_label, permission.codename)
            for permission in group.permissions.select_related("content_type")
        ]
        for group in Group.objects.prefetch_related("permissions")
    }


def _recreate_groups(groups: dict[str, list[tuple[str, str]]], using: str) -> None:
    """Put back the groups a flush deleted, with their permissions (one query when the
    groups are there)."""
    from django.contrib.auth.models import Group, Permission

    if not groups or Group.objects.using(using).filter(name__in=groups).count() == len(groups):
        return
    for name, permissions in groups.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(
            [
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
                for app_label, codename in permissions
            ]
        )


def _commit_without_waiting_for_the_disk(connection) -> None:
    """A crash of the PostgreSQL server may lose the last commits of a test database, which
    nobody reads after the run; every commit of the run (this process and the workers it
    starts, which connect afterwards) stops waiting for an fsync of the WAL."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} "
            "SET synchronous_commit TO off"
        )
        cursor.execute("SET synchronous_commit TO off")


KEPT = frozenset({"django_content_type", "auth_permission"})


def _flush_by_delete(truncate):
    """Django flushes after each transactional test with one TRUNCATE of every table, which
    gives each table new files: about 0.7 s for the 21 tables on the shared CI machine,
    against a few milliseconds for DELETE on tables a test left nearly empty. Foreign keys
    are deferrable, so the order of the DELETEs does not matter. Resetting sequences and
    cascading still go to TRUNCATE.

    Content types and permissions stay: they are what every migration run makes, and the
    post_migrate handlers that run after each flush would only insert them again (about a
    hundred rows, a tenth of a second)."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET CONSTRAINTS ALL DEFERRED;"] + [
            f"DELETE FROM {self.quote_name(table)};" for table in tables if table not in KEPT
        ]

    return sql_flush


def _restore_migration_data() -> None:
    from importlib import import_module

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    group_made = ("moderation", "0002_moderators_group")
    limit_added = ("moderation", "0003_limit_accounts")
    group = import_module(f"apps.{group_made[0]}.migrations.{group_made[1]}")
    limit = import_module(f"apps.{limit_added[0]}.migrations.{limit_added[1]}")
    if Group.objects.filter(name=group.GROUP, permissions__codename="limit_user").exists():
        return
    # The migrations' own functions, on the models as they were at each migration.
    loader = MigrationLoader(connection)
    group.create_group(loader.project_state(group_made).apps, None)
    limit.add_permissions(loader.project_state(limit_added).apps, None)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def client_for(db) -> Callable[[User], APIClient]:
    """An API client authenticated with the user's token."""

    def make(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def friends(db) -> tuple[User, User]:
    a, b = UserFactory(), UserFactory()
    make_friends(a, b)
    return a, b


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "apps.notifications.realtime.layer.RippleInMemoryChannelLayer"}
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


class Pushes(list):
    """Every `(user id, event)` the services pushed after commit, in order; `batches` keeps
    the events of each `push_after_commit` call apart."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list] = []


@pytest.fixture
def pushes(monkeypatch) -> Pushes:
    """Capture realtime pushes instead of sending them. The one way tests see pushes:
    `push_after_commit` still registers the on-commit callback, so a rolled-back
    transaction records nothing (run callbacks with django_capture_on_commit_callbacks)."""
    recorded = Pushes()

    def record(batch) -> None:
        events = list(batch() if callable(batch) else batch)
        if events:
            recorded.batches.append(events)
            recorded.extend(events)

    monkeypatch.setattr("apps.notifications.realtime.push._deliver", record)
    return recorded


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Chromium (the `browser` fixture of tests/web) is marked
    `browser`, so `-m "not browser"` leaves them out without listing files."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


# The tests that `make test` (pytest-xdist, `--dist loadgroup`) keeps in one process, one
# after another, by the start of their node id. tests/web: Chromium and the two workers of
# `_workers` start in one process only, and two browsers never compete for the two cores.
# "heavy": hundreds of posts, requests or sockets each, and budgets for a busy machine, not
# for two of them at once. xdist hands out the largest groups first. ALONE goes last, when
# the other process has nothing left but the tests it already holds: its Redis timeouts of
# half a second are asserted to within a fraction of a second.
ALONE = "alone"
XDIST_GROUPS = {
    "tests/web/": "browser",
    "tests/notifications/realtime/test_guarantees.py::test_slow_reader_": "heavy",
    "tests/notifications/realtime/test_guarantees.py::test_replay_live_seam_": "heavy",
    "tests/project/test_gc_policy.py::test_a_worker_serving_inbox_pages_": "heavy",
    "tests/notifications/realtime/test_mass_disconnect.py::": ALONE,
    "tests/notifications/realtime/test_redis_hang.py::": ALONE,
}


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadgroup` with the groups above. xdist's own reads `xdist_group` marks into
    the node ids, which pytest 9's node ids no longer let it do: its marks group nothing."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class Groups(LoadGroupScheduling):  # type: ignore[misc]  # xdist is untyped
        def _split_scope(self, nodeid: str) -> str:
            for start, group in XDIST_GROUPS.items():
                if nodeid.startswith(start):
                    return group
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            if len(self.workqueue) > 1 and ALONE in self.workqueue:
                self.workqueue.move_to_end(ALONE)
            super()._assign_work_unit(node)

    return Groups(config, log)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `services` need real PostgreSQL and Redis.

    On a laptop without them they skip, saying why; under CI=true a missing service fails.
    """
    if "services" not in item.keywords:
        return
    from tests.services import missing_services

    missing = missing_services()
    if not missing:
        return
    reason = "needs " + " and ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but this test {reason}", pytrace=False)
    pytest.skip(reason)


def with_user(app, user):
    """An ASGI app that runs `app` with `scope["user"]` set, as the auth middleware would."""

    async def wrapped(scope, receive, send):
        return await app({**scope, "user": user}, receive, send)

    return wrapped


def use_workers_layer(settings, pool, **config: int) -> None:
    """Point this test process's channel layer at the workers' Redis and prefix, so services
    called here push to sockets held by the workers."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "apps.notifications.realtime.layer.RippleRedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": pool.env["REDIS_URL"], "socket_timeout": None}],
                "prefix": pool.env["CHANNEL_LAYER_PREFIX"],
                **config,
            },
        }
    }
    channel_layers.backends.clear()


@pytest.fixture
def asgi_workers(request):
    """Start real uvicorn worker processes against this test run's database and Redis.

    Usage: `with asgi_workers(2) as pool: pool.workers[0].http_url ...`. Each call gets its
    own channel-layer prefix, so tests never see each other's Redis keys; it starts with
    CHANNEL_LAYER_PREFIX when set, so that one test run's keys share a prefix (.ci/run sets
    one per run and deletes its keys at the end).
    """
    import uuid
    from contextlib import contextmanager

    from django.db import connection

    from scripts.workers import running_workers

    run_prefix = os.environ.get("CHANNEL_LAYER_PREFIX") or "test"

    @contextmanager
    def start(count: int, **env: str):
        database = dict(connection.settings_dict)
        url = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
        worker_env = {
            "DATABASE_URL": url,
            "REDIS_URL": os.environ["REDIS_URL"],
            "CHANNEL_LAYER_PREFIX": f"{run_prefix}-{uuid.uuid4().hex[:12]}",
            "DJANGO_LOG_LEVEL": "WARNING",
            # Workers pool their database connections, as in production; only this test
            # process opts out (project/settings/test.py).
            "DATABASE_POOL": "true",
            **env,
        }
        with running_workers(count, env=worker_env) as pool:
            try:
                yield pool
            except BaseException:
                for worker in pool.workers:
                    print(f"--- log of worker {worker.port} ---\n{worker.log()}")  # noqa: T201
                raise

    return start


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own on a free port; never the shared one."""
    from scripts.redisproc import PrivateRedis

    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class Clock:
    """Frozen time, moved on only by `advance`."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def now(self) -> datetime:
        return timezone.now()

    def advance(self, **delta: float) -> None:
        self._traveller.shift(timedelta(**delta))


@pytest.fixture
def clock() -> Iterator[Clock]:
    """Stop the clock for the whole test; `clock.advance(seconds=61)` moves it on.

    time-machine replaces time.time() and datetime.now() themselves, so `timezone.now()`
    anywhere (services, model defaults, the retention cutoffs) reads the same instant.
    Monotonic clocks are left alone: asyncio and timeouts keep running.
    """
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield Clock(traveller)
