"""Ids grow in commit order, so an `after=` reader never skips a late-committing row."""

import random
import threading
import time

import pytest
from django.db import connection, transaction

from apps.notifications.models import Notification
from apps.notifications.selectors import notification_stream_after
from apps.posts.services import post_create
from tests.factories import UserFactory, make_friends

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

    def write_loop(author) -> None:
        for _ in range(10):
            _slow_committing_post(author, delays)

    reading = threading.Thread(target=read_loop)
    reading.start()
    writers = [threading.Thread(target=write_loop, args=(a,)) for a in authors]
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

    stored = list(
        Notification.objects.filter(recipient=reader).order_by("id").values_list("id", flat=True)
    )
    assert len(stored) == 60
    assert seen == stored
