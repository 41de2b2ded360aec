"""Digests through a real SMTP server on loopback: content, links, headers, exactly once."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import urlparse

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from time_machine import travel

from apps.digests.models import Digest, DigestSettings
from apps.digests.services import digest_send_batch, digests_due, digests_send_round
from apps.notifications.models import Notification, NotificationPreference
from apps.notifications.services import (
    notification_mark_done,
    notification_mark_read,
    notifications_retract_for_posts,
)
from tests.factories import PostFactory, UserFactory

from .conftest import html_of, pending, text_of, unsubscribe_link

pytestmark = pytest.mark.django_db


def test_digest_groups_as_the_inbox_with_links_and_headers(smtp, at_six_pm):
    me = UserFactory(username="ana")
    pablo, tito, lola, rosa = (UserFactory(username=n) for n in ("pablo", "tito", "lola", "rosa"))
    key = f"p{pablo.pk}-1700000000000"
    for hours in (7, 6, 5):
        pending(me, hours=hours, actor=pablo, group_key=key, data={"id": 41, "content": "hi"})
    post = PostFactory(author=me)
    like = {"post": {"id": post.pk, "author_id": me.pk, "excerpt": "my <b>post</b>"}}
    for age, actor in ((6.0, rosa), (5.5, lola), (5.0, tito)):
        pending(me, hours=age, actor=actor, type="post_liked", group_key=f"l{post.pk}", data=like)
    pending(me, hours=4.5, actor=lola, type="friend_request", data={})
    NotificationPreference.objects.create(user=me, post_liked_email=True)

    assert digests_send_round() == (1, 1)

    [message] = smtp.to(me.email)
    text = text_of(message)
    assert message["Subject"] == "Ripple: 3 things while you were away"
    # Newest group first, each a line of its own, worded as the inbox words it.
    lines = [line.strip() for line in text.splitlines() if line.startswith("- ")]
    assert lines == [
        "- lola sent you a friend request",
        "- tito, lola and 1 other liked your post",
        "- pablo posted 3 things",
    ]
    assert f"https://ripple.example/posts/{post.pk}/" in text
    assert "https://ripple.example/posts/41/" in text
    assert "https://ripple.example/friends/" in text
    html = html_of(message)
    assert "my &lt;b&gt;post&lt;/b&gt;" in html
    assert "<b>post" not in html
    assert '"my <b>post</b>"' in text
    unsubscribe = unsubscribe_link(message)
    assert urlparse(unsubscribe).netloc == "ripple.example"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text
    assert unsubscribe in html
    assert Digest.objects.get(user=me).through_id == Notification.objects.latest("id").pk


def test_at_most_twenty_entries_and_how_many_more(smtp, at_six_pm, settings):
    me = UserFactory()
    for i in range(23):
        pending(me, hours=6 - i / 60, data={"id": i, "content": f"post {i}"})

    digests_send_round()

    text = text_of(smtp.to(me.email)[0])
    assert len([line for line in text.splitlines() if line.startswith("- ")]) == 20
    assert "...and 3 more" in text
    # Newest first: the three oldest are the "more".
    assert '"post 22"' in text
    assert '"post 3"' in text
    assert '"post 2"' not in text


def test_long_post_text_is_trimmed(smtp, at_six_pm):
    me = UserFactory()
    pending(me, data={"id": 1, "content": "word " * 200})

    digests_send_round()

    text = text_of(smtp.to(me.email)[0])
    found = re.search(r'"(word[^"]*)"', text)
    assert found is not None
    quoted = found.group(1)
    assert len(quoted) <= 140
    assert quoted.endswith("…")


def test_a_repeated_round_sends_nothing_twice(smtp, at_six_pm):
    me = UserFactory()
    pending(me)
    batches = digests_due()

    assert digests_send_round() == (1, 1)
    # A retried task, a second scheduler, a restart: the same batch again.
    assert digest_send_batch(batches[0].user_ids, batches[0].period) == 0
    pending(me, hours=4.5)
    assert digests_send_round() == (0, 0)
    assert len(smtp.to(me.email)) == 1


def test_what_was_read_done_or_retracted_after_selection_is_left_out(smtp, at_six_pm, pushes):
    me, other = UserFactory(), UserFactory()
    removed_post, other_post = PostFactory(), PostFactory()
    pending(me, data={"id": 1, "content": "kept"})
    read = pending(me, data={"id": 2, "content": "read"})
    done = pending(me, data={"id": 3, "content": "done"})
    pending(me, post=removed_post, data={"id": 4, "content": "retracted"})
    pending(other, post=other_post, data={"id": 5, "content": "gone"})
    [batch] = digests_due()
    assert batch.user_ids == [me.pk, other.pk]

    # Between the selection and the send, through the services the inbox and moderation use.
    notification_mark_read(user=me, notification_id=read.pk)
    notification_mark_done(user=me, notification_id=done.pk)
    notifications_retract_for_posts(post_ids=[removed_post.pk, other_post.pk])
    assert digest_send_batch(batch.user_ids, batch.period) == 1

    [message] = smtp.messages
    assert smtp.recipients == [[me.email]]
    assert re.findall(r'"(\w+)"', text_of(message)) == ["kept"]
    assert not Digest.objects.filter(user=other).exists()


def test_a_stale_batch_or_a_user_who_turned_digests_off_gets_nothing(smtp, at_six_pm):
    me, off = UserFactory(), UserFactory()
    pending(me)
    pending(off)
    [batch] = digests_due()
    DigestSettings.objects.create(user=off, frequency="off")

    assert digest_send_batch(batch.user_ids, "d2026-03-09") == 0
    assert digest_send_batch(batch.user_ids, batch.period) == 1
    assert smtp.recipients == [[me.email]]


def test_the_next_digest_starts_after_the_last(smtp, at_six_pm):
    me = UserFactory()
    pending(me, data={"id": 1, "content": "first"})
    digests_send_round()
    tomorrow = at_six_pm + timedelta(days=1)
    with travel(tomorrow - timedelta(hours=5), tick=False):
        pending(me, hours=0, data={"id": 2, "content": "second"})
    with travel(tomorrow, tick=False):
        assert digests_send_round() == (1, 1)

    first, second = smtp.to(me.email)
    assert '"first"' in text_of(first)
    assert '"first"' not in text_of(second)
    assert '"second"' in text_of(second)


def test_an_smtp_failure_leaves_the_period_unclaimed(smtp, at_six_pm, settings):
    me = UserFactory()
    pending(me)
    [batch] = digests_due()
    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there

    with pytest.raises(ConnectionRefusedError):
        digest_send_batch(batch.user_ids, batch.period)
    assert not Digest.objects.exists()

    settings.EMAIL_PORT = good_port
    assert digest_send_batch(batch.user_ids, batch.period) == 1


def test_local_midnight_on_either_side_of_utcs(smtp):
    with travel(datetime(2026, 3, 10, 8, 0, tzinfo=UTC), tick=False):
        tokyo, los_angeles = UserFactory(), UserFactory()
        DigestSettings.objects.create(user=tokyo, hour=0, time_zone="Asia/Tokyo")
        DigestSettings.objects.create(user=los_angeles, hour=23, time_zone="America/Los_Angeles")
        pending(tokyo, hours=0)
        pending(los_angeles, hours=0)
    # 15:00 UTC on the 10th is midnight of the 11th in Tokyo.
    with travel(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False):
        assert digests_send_round() == (1, 1)
    # 06:00 UTC on the 11th is 23:00 of the 10th in Los Angeles (daylight time).
    with travel(datetime(2026, 3, 11, 6, 0, tzinfo=UTC), tick=False):
        assert digests_send_round() == (1, 1)
        assert digests_send_round() == (0, 0)

    assert [len(smtp.to(u.email)) for u in (tokyo, los_angeles)] == [1, 1]
    periods = dict(Digest.objects.values_list("user_id", "period"))
    assert periods == {tokyo.pk: "d2026-03-11", los_angeles.pk: "d2026-03-10"}


def test_send_digests_command_runs_a_round(smtp, at_six_pm):
    me = UserFactory()
    pending(me)
    out = StringIO()

    call_command("send_digests", stdout=out)

    assert out.getvalue().strip() == "1 digests sent in 1 batches."
    assert len(smtp.to(me.email)) == 1


def test_the_hourly_beat_task_enqueues_batches_that_send_each_digest_once(
    smtp, at_six_pm, settings
):
    # The test settings run tasks eagerly, as a worker would run them, after the call.
    from apps.digests.tasks import digests_round
    from project.celery import app

    settings.RIPPLE_DIGEST_BATCH_SIZE = 2
    users = UserFactory.create_batch(3)
    for user in users:
        pending(user)

    assert digests_round() == 2  # batches of at most two users
    assert digests_round() == 0  # within the hour, everyone has had theirs

    assert [len(smtp.to(user.email)) for user in users] == [1, 1, 1]
    schedule = app.conf.beat_schedule["digests-round"]
    assert schedule["task"] == "digests.round"
    assert str(schedule["schedule"]) == str(crontab(minute=0))
