"""Email digests: choosing who is due among 100,000 users, and composing and sending digests.

Seeds a dedicated database (`<RIPPLE_BENCH_DATABASE>_digests`) once with 100,000 users, each
with an email address and unread notifications old enough for a digest, then measures:

- selection: `digests_due(now)` over all of them (target under 2 s), against the naive
  per-user loop (five small queries a user) timed on LOOP_USERS users and extrapolated
  linearly to 100,000 (its cost is per user, so the line is honest; it is not run whole);
- sending: `digest_send_batch` for SEND_USERS users (grouped content, exactly-once claim,
  one SMTP connection for the batch) to an aiosmtpd server in another process on loopback,
  against composing the same digests and sending each with `EmailMessage.send()` over a
  connection of its own and no claim.
"""

import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import override_settings

from apps.accounts.models import User
from apps.digests.emails import digest_content, digest_message
from apps.digests.models import Digest, DigestSettings
from apps.digests.services import digest_send_batch, digests_due
from apps.notifications.models import InboxMarker, Notification, NotificationPreference
from bench.db import BENCH_DATABASE, seed_users, use_bench_database
from bench.report import Table

DATABASE = f"{BENCH_DATABASE}_digests"
USERS = 100_000
PREFIX = "digest-user-"
SEND_USERS = 500
SEND_ROUNDS = 3
SEND_PREFIX = "digest-send-"
LOOP_USERS = 2_000
RUNS = 5
SELECT_TARGET_S = 2.0
NOTIFICATIONS = Notification._meta.db_table

_SEED_SQL = f"""
INSERT INTO {NOTIFICATIONS} (recipient_id, actor_id, type, data, created_at, pushed,
                             group_key, group_count)
SELECT u.id, u.id, 'new_post',
       jsonb_build_object('id', g, 'content', repeat('a digest benchmark post ', 4)),
       now() - interval '6 hours' + g * interval '1 minute', true,
       CASE WHEN g <= 3 THEN 'p' || u.id || '-1700000000000' END, g
FROM unnest(%(ids)s::bigint[]) AS u(id), generate_series(1, %(per_user)s) AS g
"""


def _seed(prefix: str, count: int, per_user: int) -> list[int]:
    ids = seed_users(prefix=prefix, count=count)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {User._meta.db_table} SET email = username || '@bench.test' "
            "WHERE id = ANY(%s) AND email = ''",
            [ids],
        )
        cursor.execute(
            f"SELECT count(DISTINCT recipient_id) FROM {NOTIFICATIONS} "
            "WHERE recipient_id = ANY(%s)",
            [ids],
        )
        row = cursor.fetchone()
        if not row or row[0] < count:
            cursor.execute(f"DELETE FROM {NOTIFICATIONS} WHERE recipient_id = ANY(%s)", [ids])
            cursor.execute(_SEED_SQL, {"ids": ids, "per_user": per_user})
            cursor.execute(f"VACUUM ANALYZE {NOTIFICATIONS}")
    return ids


def _run_at() -> datetime:
    """The next 18:00 UTC at least a day ahead: every seeded user is due then."""
    today = datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def _per_user_due(user_ids: list[int], now: datetime) -> int:
    """The naive selection: each user's settings, preferences, marker, last digest and a
    pending notification, one small query each."""
    due = 0
    cutoff = now - timedelta(hours=4)
    for user_id in user_ids:
        user = User.objects.filter(pk=user_id).exclude(email="").first()
        chosen = DigestSettings.objects.filter(user_id=user_id).first() or DigestSettings()
        preference = NotificationPreference.objects.filter(user_id=user_id).first()
        preference = preference or NotificationPreference()
        marker = InboxMarker.objects.filter(user_id=user_id).first()
        last = Digest.objects.filter(user_id=user_id).order_by("-through_id").first()
        if user is None or chosen.frequency == "off" or now.hour != chosen.hour:
            continue
        after = max(marker.last_seen_id if marker else 0, last.through_id if last else 0)
        types = [t for t in Notification.Type.values if preference.switch(t, "email")]
        pending = Notification.objects.filter(
            recipient_id=user_id, read_at__isnull=True, done_at__isnull=True, id__gt=after
        ).filter(created_at__lte=cutoff, type__in=types)
        due += pending.exists()
    return due


def _selection_table(ids: list[int]) -> Table:
    now = _run_at()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        batches = digests_due(now)
        timings.append(time.perf_counter() - started)
    selected = sum(len(batch.user_ids) for batch in batches)
    started = time.perf_counter()
    loop_due = _per_user_due(ids[:LOOP_USERS], now)
    loop_s = (time.perf_counter() - started) * USERS / LOOP_USERS
    median = statistics.median(timings)
    table = Table(
        f"Choosing digest recipients among {USERS:,} users with pending notifications",
        ["method", "users due", "seconds", "vs baseline", "target"],
    )
    verdict = "pass" if median < SELECT_TARGET_S else "FAIL"
    table.add(
        "digests_due (2 queries)",
        selected,
        median,
        f"{loop_s / median:.0f}x faster",
        f"< {SELECT_TARGET_S:.0f} s: {verdict}",
    )
    table.add(
        f"per-user loop ({LOOP_USERS:,} timed, extrapolated)",
        loop_due * USERS // LOOP_USERS,
        loop_s,
        "1x",
        "",
    )
    table.notes.append(
        f"Median of {RUNS} runs; {len(batches)} batches. The loop makes 6 queries a user."
    )
    return table


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _smtp_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the aiosmtpd server did not start")


def _one_by_one(ids: list[int], now: datetime) -> int:
    """The baseline: the same composition, each email over an SMTP connection of its own."""
    sent = 0
    for user in User.objects.filter(pk__in=ids).order_by("pk"):
        content = digest_content(
            user_id=user.pk,
            after_id=0,
            created_before=now - timedelta(hours=4),
            types=["new_post"],
            limit=20,
        )
        if content is not None:
            sent += digest_message(user=user, content=content).send()
    return sent


def _sending_table(ids: list[int]) -> Table:
    now = _run_at()
    port = _free_port()
    server = _smtp_server(port)
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
    }
    batch_times: list[float] = []
    baseline_times: list[float] = []
    sent = baseline_sent = 0
    try:
        with override_settings(**smtp):
            period = f"d{now.date().isoformat()}"
            # Alternating rounds, the medians compared: the first pass also warms the
            # cache for the second, whichever it is.
            for round_ in range(SEND_ROUNDS):
                Digest.objects.filter(user_id__in=ids).delete()
                for kind in ("batch", "baseline") if round_ % 2 else ("baseline", "batch"):
                    started = time.perf_counter()
                    if kind == "batch":
                        sent = digest_send_batch(ids, period, now)
                        batch_times.append(time.perf_counter() - started)
                    else:
                        baseline_sent = _one_by_one(ids, now)
                        baseline_times.append(time.perf_counter() - started)
            Digest.objects.filter(user_id__in=ids).delete()
    finally:
        server.terminate()
        server.wait(timeout=10)
    batch_s, baseline_s = statistics.median(batch_times), statistics.median(baseline_times)
    table = Table(
        f"Digests composed and sent to a local SMTP server, one process ({len(ids):,} users)",
        ["method", "emails", "seconds", "emails/s", "vs baseline"],
    )
    rate, baseline_rate = sent / batch_s, baseline_sent / baseline_s
    table.add("digest_send_batch", sent, batch_s, rate, f"{rate / baseline_rate:.2f}x")
    table.add(
        "compose + send() each, own connection", baseline_sent, baseline_s, baseline_rate, "1x"
    )
    table.notes.append(
        f"Median of {SEND_ROUNDS} alternating rounds. Each digest: 5 notifications (3 grouped), "
        "3 entries, text and HTML parts; the batch also claims (user, period) and checks "
        "presence in Redis, which the baseline does not."
    )
    return table


def run() -> list[Table]:
    use_bench_database(DATABASE)
    with override_settings(DEBUG=False):
        started = time.perf_counter()
        ids = _seed(PREFIX, USERS, per_user=1)
        send_ids = _seed(SEND_PREFIX, SEND_USERS, per_user=5)
        print(f"Digest data ready in {time.perf_counter() - started:.1f} s\n", flush=True)
        return [_selection_table(ids + send_ids), _sending_table(send_ids)]
