"""2,000 sockets of one worker closing at once leave no member behind in Redis.

Real parts: one uvicorn worker on the shared Redis, 2,000 WebSocket clients, and a direct
look at the layer's group keys afterwards.
"""

import asyncio
import resource
import time

import pytest
import redis
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory
from tests.wsclient import ws_connect

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

USERS = 200
SOCKETS_PER_USER = 10  # the per-user limit of one worker


@pytest.fixture(autouse=True)
def _enough_descriptors():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 3 * USERS * SOCKETS_PER_USER
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"needs {wanted} open files, the hard limit is {hard}")
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def group_members(client: redis.Redis, prefix: str, user_ids: list[int]) -> int:
    pipe = client.pipeline(transaction=False)
    for user_id in user_ids:
        pipe.zcard(f"{prefix}:group:notifications.user.{user_id}")
    return sum(pipe.execute())


def test_two_thousand_sockets_closing_at_once_leave_no_stale_group_member(asgi_workers):
    users = UserFactory.create_batch(USERS)
    keys = [Token.objects.create(user=user).key for user in users]
    user_ids = [user.id for user in users]

    async def scenario(worker, redis_client, prefix):
        sockets = []
        for start in range(0, len(keys), 20):
            batch = keys[start : start + 20] * SOCKETS_PER_USER
            sockets += await asyncio.gather(*(ws_connect(worker.ws_url, key) for key in batch))
        joined = group_members(redis_client, prefix, user_ids)
        await asyncio.gather(*(ws.close() for ws in sockets))
        deadline = time.monotonic() + 15
        left = joined
        while left and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            left = group_members(redis_client, prefix, user_ids)
        return len(sockets), joined, left

    with asgi_workers(1) as pool:
        redis_client = redis.Redis.from_url(pool.env["REDIS_URL"])
        opened, joined, left = asyncio.run(
            scenario(pool.workers[0], redis_client, pool.env["CHANNEL_LAYER_PREFIX"])
        )
        log = pool.workers[0].log()

    assert opened == joined == USERS * SOCKETS_PER_USER
    assert left == 0
    assert "Too many connections" not in log
    assert "membership write failed" not in log
