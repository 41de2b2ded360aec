"""Direct message endpoints: send and read a conversation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.serializers import UNKNOWN_USER
from apps.direct_messages.models import Message
from apps.direct_messages.services import NOT_FRIENDS
from tests.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSAGES_URL = "/api/messages/"


def _ref(user) -> dict:
    return {"id": user.id, "username": user.username}


def test_message_send_to_friend_returns_201_with_message(client_for, friends):
    alice, bob = friends

    response = client_for(alice).post(MESSAGES_URL, {"to": bob.id, "text": "Hi"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "sender", "recipient", "text", "created_at"}
    assert (body["sender"], body["recipient"], body["text"]) == (_ref(alice), _ref(bob), "Hi")
    assert Message.objects.filter(pk=body["id"]).exists()


def test_message_send_to_non_friend_returns_403(client_for, user):
    stranger = UserFactory()

    response = client_for(user).post(MESSAGES_URL, {"to": stranger.id, "text": "Hi"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_FRIENDS, "code": "permission_denied"}
    assert not Message.objects.exists()


def test_message_send_unknown_recipient_returns_400_naming_to(client_for, user):
    response = client_for(user).post(
        MESSAGES_URL, {"to": user.id + 1000, "text": "Hi"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"to": [UNKNOWN_USER]}


@pytest.mark.parametrize("text", ["", "   "])
def test_message_send_blank_text_returns_400_naming_text(client_for, friends, text):
    alice, bob = friends

    response = client_for(alice).post(MESSAGES_URL, {"to": bob.id, "text": text}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"text"}


def test_message_list_returns_both_directions_newest_first(client_for, friends):
    alice, bob = friends
    now = timezone.now()
    first = MessageFactory(sender=alice, recipient=bob, created_at=now - timedelta(minutes=2))
    second = MessageFactory(sender=bob, recipient=alice, created_at=now - timedelta(minutes=1))
    third = MessageFactory(sender=alice, recipient=bob, created_at=now)
    MessageFactory(sender=alice, recipient=UserFactory())  # another conversation
    MessageFactory(sender=bob, recipient=UserFactory())  # not involving alice

    response = client_for(alice).get(MESSAGES_URL, {"with": bob.id})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [item["id"] for item in body["results"]] == [third.id, second.id, first.id]


def test_message_list_pages_cover_conversation_once(client_for, friends):
    alice, bob = friends
    messages = MessageFactory.create_batch(5, sender=bob, recipient=alice)
    client = client_for(alice)

    seen, url = [], f"{MESSAGES_URL}?with={bob.id}&page_size=2"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [item["id"] for item in body["results"]]
        url = body["next"]

    assert sorted(seen) == sorted(m.id for m in messages)
    assert len(seen) == len(messages)


@pytest.mark.parametrize("value", [None, "", "abc", "-1", "1.5", "²"])
def test_message_list_missing_or_invalid_with_returns_400_naming_with(client_for, user, value):
    params = {} if value is None else {"with": value}

    response = client_for(user).get(MESSAGES_URL, params)

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"with"}


def test_message_endpoints_anonymous_return_401(api_client):
    assert api_client.get(MESSAGES_URL, {"with": 1}).status_code == 401
    assert api_client.post(MESSAGES_URL, {}, format="json").status_code == 401
