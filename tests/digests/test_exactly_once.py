"""Two schedulers at once, each with its own database connection, send one email; and
nobody with an open connection gets one."""

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, connections

from apps.digests.models import Digest
from apps.digests.services import digest_send_batch, digests_due
from apps.notifications.realtime.events import user_group
from tests.factories import UserFactory

from .conftest import pending


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_each_digest_once(smtp, at_six_pm):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises the writers: nothing would run concurrently")
    users = UserFactory.create_batch(6)
    for user in users:
        pending(user)
    [batch] = digests_due()
    start = threading.Barrier(2, timeout=10)
    sent: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            start.wait()
            sent.append(digest_send_batch(batch.user_ids, batch.period))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sum(sent) == len(users)
    assert sorted(r for rcpt in smtp.recipients for r in rcpt) == sorted(u.email for u in users)
    assert Digest.objects.count() == len(users)


@pytest.mark.django_db
def test_a_user_with_an_open_connection_gets_no_digest(smtp, at_six_pm):
    online, away = UserFactory(), UserFactory()
    pending(online)
    pending(away)
    [batch] = digests_due()
    layer = get_channel_layer()
    assert layer is not None
    async_to_sync(layer.group_add)(user_group(online.pk), "test.channel")

    assert digest_send_batch(batch.user_ids, batch.period) == 1

    assert smtp.recipients == [[away.email]]
    assert not Digest.objects.filter(user=online).exists()
