"""The grouped inbox read from each group's newest row, checked against a plain aggregate."""

import random
from collections import defaultdict

import pytest
from django.utils import timezone

from apps.notifications.models import Notification
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

KEYS = ["l1", "l2", "r1", "p5-100", None]


@pytest.fixture
def me(db):
    return UserFactory()


@pytest.fixture
def client(client_for, me):
    return client_for(me)


def _seed(me, count: int, seed: int) -> None:
    """Interleaved groups and stand-alone rows, some read, plus someone else's rows."""
    rng = random.Random(seed)
    other = UserFactory()
    for _ in range(count):
        key = rng.choice(KEYS)
        NotificationFactory(
            recipient=me,
            group_key=key,
            type="post_liked" if key and key.startswith("l") else "new_post",
            read_at=timezone.now() if rng.random() < 0.4 else None,
        )
        NotificationFactory(recipient=other, group_key=key)


def _expected(me, **filters) -> list[dict]:
    groups: dict[str, list[Notification]] = defaultdict(list)
    for row in Notification.objects.filter(recipient=me, **filters).order_by("id"):
        groups[row.group["key"]].append(row)
    entries = [
        {
            "key": key,
            "count": len(rows),
            "unread_count": sum(row.read_at is None for row in rows),
            "ids": [row.id for row in rows],
            "latest": rows[-1].id,
        }
        for key, rows in groups.items()
    ]
    return sorted(entries, key=lambda entry: -entry["latest"])


def _pages(client, params) -> list[dict]:
    entries = []
    response = client.get("/api/notifications/", {"grouped": "true", **params}).json()
    while True:
        entries += [
            {
                **{k: e[k] for k in ("key", "count", "unread_count", "ids")},
                "latest": e["latest"]["id"],
            }
            for e in response["results"]
        ]
        if not response["next"]:
            return entries
        response = client.get(response["next"]).json()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grouped_pages_match_the_aggregate_of_every_row(client, me, seed):
    _seed(me, 40, seed)

    assert _pages(client, {"page_size": 3}) == _expected(me)
    assert _pages(client, {"page_size": 3, "unread": "true"}) == _expected(me, read_at=None)
    assert _pages(client, {"page_size": 2, "type": "post_liked"}) == _expected(
        me, type="post_liked"
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_grouped_unread_count_counts_groups_holding_an_unread_row(client, me, seed):
    _seed(me, 40, seed)

    response = client.get("/api/notifications/unread-count/", {"grouped": "true"})

    assert response.json() == {"count": len(_expected(me, read_at=None))}


def test_grouped_page_previous_link_returns_the_same_groups(client, me):
    _seed(me, 30, 7)
    first = client.get("/api/notifications/", {"grouped": "true", "page_size": 2}).json()
    second = client.get(first["next"]).json()

    back = client.get(second["previous"]).json()

    assert [e["key"] for e in back["results"]] == [e["key"] for e in first["results"]]


def test_mark_a_standalone_group_read_by_its_key(client, me):
    alone = NotificationFactory(recipient=me)
    grouped = NotificationFactory(recipient=me, group_key="l9")

    response = client.post("/api/notifications/read-all/", {"group": f"n{alone.id}"}, format="json")

    assert response.json() == {"updated": 1}
    alone.refresh_from_db()
    grouped.refresh_from_db()
    assert (alone.read_at is not None, grouped.read_at) == (True, None)
