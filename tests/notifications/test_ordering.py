"""Ids grow in commit order, so an `after=` reader never skips a late-committing row."""

import random
import threading
import time

import pytest
from django.db import connection, transaction

from apps.notifications.models import Notification
from apps.notifications.selectors import notification_stream_after
from apps.notifications.services import notification_create
from apps.posts.services import post_create
from tests.factories import UserFactory, make_friends
from tests.locks import waits_on_a_lock

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _slow_committing_post(author, delays: list[float]) -> None:
    try:
        with transaction.atomic():
            post_create(author=author, content="race", type="thoughts")
            # Hold the transaction open after the rows are written, so commits overlap.
            time.sleep(delays.pop())
    finally:
        connection.close()


def test_after_reader_sees_every_notification_despite_concurrent_commits():
    reader = UserFactory()
    authors = UserFactory.create_batch(6)
    for author in authors:
        make_friends(author, reader)
    rng = random.Random(7)
    delays = [rng.uniform(0, 0.05) for _ in range(60)]

    def write_loop(author) -> None:
        for _ in range(10):
            _slow_committing_post(author, delays)

    writers = [threading.Thread(target=write_loop, args=(a,)) for a in authors]
    seen = _read_while(reader, writers)

    stored = list(
        Notification.objects.filter(recipient=reader).order_by("id").values_list("id", flat=True)
    )
    assert len(stored) == 60
    assert seen == stored


def _slow_committing_message(actor, reader, delays: list[float]) -> None:
    try:
        with transaction.atomic():
            notification_create(
                recipient_id=reader.id, actor=actor, type="new_message", data={"text": "hi"}
            )
            time.sleep(delays.pop())
    finally:
        connection.close()


def test_single_notifications_and_chunked_fanouts_to_one_reader_commit_in_id_order(settings):
    settings.RIPPLE_FANOUT_CHUNK_SIZE = 2  # the reader's row is stored by a later chunk
    reader = UserFactory()
    posters = UserFactory.create_batch(3)
    senders = UserFactory.create_batch(3)
    for poster in posters:
        for friend in (*UserFactory.create_batch(3), reader):
            make_friends(poster, friend)
    rng = random.Random(11)
    delays = [rng.uniform(0, 0.05) for _ in range(60)]

    def write_loop(user, kind: str) -> None:
        for _ in range(8):
            if kind == "post":
                _slow_committing_post(user, delays)
            else:
                _slow_committing_message(user, reader, delays)

    seen = _read_while(
        reader,
        [threading.Thread(target=write_loop, args=(u, "post")) for u in posters]
        + [threading.Thread(target=write_loop, args=(u, "message")) for u in senders],
    )

    stored = list(
        Notification.objects.filter(recipient=reader).order_by("id").values_list("id", flat=True)
    )
    assert len(stored) == 48
    assert seen == stored


def _read_while(reader, writers: list[threading.Thread]) -> list[int]:
    """Follow the reader's `after=` stream while the writers run; every id it returned."""
    stop = threading.Event()
    seen: list[int] = []

    def read_loop() -> None:
        last = 0
        try:
            while not stop.is_set():
                frames = notification_stream_after(user_id=reader.id, after_id=last, limit=100)
                seen.extend(notification_id for notification_id, _ in frames)
                last = seen[-1] if seen else last
        finally:
            connection.close()

    reading = threading.Thread(target=read_loop)
    reading.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    reading.join()
    last = seen[-1] if seen else 0
    seen.extend(
        i for i, _ in notification_stream_after(user_id=reader.id, after_id=last, limit=1000)
    )
    return seen


def test_a_writer_waits_only_for_writers_to_the_same_recipient():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the row locks are PostgreSQL's")
    busy, free, actor = UserFactory.create_batch(3)
    holding, release = threading.Event(), threading.Event()

    def message(recipient, hold: bool = False) -> None:
        try:
            with transaction.atomic():
                notification_create(
                    recipient_id=recipient.id, actor=actor, type="new_message", data={}
                )
                if hold:
                    holding.set()
                    assert release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=message, args=(busy, True))
    holder.start()
    assert holding.wait(10)
    unrelated = threading.Thread(target=message, args=(free,))
    same = threading.Thread(target=message, args=(busy,))
    try:
        unrelated.start()
        unrelated.join(5)
        same.start()
        same_waited = waits_on_a_lock(seconds=10)
        assert not unrelated.is_alive(), "a message to someone else waited"
        assert same_waited, "a message to the same recipient did not wait"
    finally:
        release.set()
        for thread in (holder, unrelated, same):
            if thread.ident:
                thread.join(10)

    assert Notification.objects.filter(recipient=busy).count() == 2
