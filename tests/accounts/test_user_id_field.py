"""Request bodies that name a user by id: one field, the same answers on every endpoint."""

from typing import Any

import pytest
from rest_framework import serializers

from apps.accounts.serializers import UNKNOWN_USER, UserIdField
from apps.accounts.services import users_suspend
from apps.direct_messages.models import Message
from apps.friends.models import FriendRequest
from apps.notifications.models import MutedUser
from apps.posts.models import Post
from tests.factories import UserFactory, make_friends

pytestmark = pytest.mark.django_db

# (route, the field naming a user, the rest of a valid body, rows a success would add)
ENDPOINTS: dict[
    str, tuple[str, str, dict[str, Any], type[FriendRequest | Message | MutedUser | Post]]
] = {
    "friend-request": ("/api/friend-requests/", "to_user", {}, FriendRequest),
    "message": ("/api/messages/", "to", {"text": "hi"}, Message),
    "mute": ("/api/muted-users/", "user", {}, MutedUser),
    "post-target": ("/api/posts/", "target_profile", {"content": "hi", "type": "thoughts"}, Post),
}
INTEGER = "A valid integer is required."


def _post(client_for, caller, name: str, value):
    route, field, body, _ = ENDPOINTS[name]
    return client_for(caller).post(route, {**body, field: value}, format="json")


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@pytest.mark.parametrize("account", ["deactivated", "suspended"])
def test_a_user_who_cannot_use_ripple_cannot_be_named(client_for, name, account):
    # Friends (not yet, for a request), so only the target's account state decides.
    caller = UserFactory()
    target = UserFactory(is_active=account != "deactivated")
    if name != "friend-request":
        make_friends(caller, target)
    if account == "suspended":
        users_suspend(user_ids=[target.pk], reason="spam")
    _, field, _, model = ENDPOINTS[name]

    response = _post(client_for, caller, name, target.pk)

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"{field}: {UNKNOWN_USER}",
        "code": "invalid",
        "fields": {field: [UNKNOWN_USER]},
    }
    assert not model.objects.exists()


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**25, UNKNOWN_USER),  # beyond 64 bits: names no row, never reaches the database
        (2**63, UNKNOWN_USER),
        (0, "Ensure this value is greater than or equal to 1."),
        (True, INTEGER),  # not read as the id 1
        ("", INTEGER),  # DRF's related fields would read it as null
        ("abc", INTEGER),
        (1.5, INTEGER),
        ([1], INTEGER),
    ],
)
def test_an_id_that_cannot_name_a_user_is_a_400_naming_the_field(
    client_for, user, name, value, message
):
    _, field, _, model = ENDPOINTS[name]

    response = _post(client_for, user, name, value)

    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}
    assert not model.objects.exists()


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_an_active_member_given_as_a_numeric_string_is_accepted(client_for, name):
    caller, target = UserFactory(), UserFactory()
    if name != "friend-request":
        make_friends(caller, target)

    response = _post(client_for, caller, name, str(target.pk))

    assert response.status_code == 201, response.content


def test_an_id_beyond_64_bits_is_refused_without_a_query(django_assert_num_queries):
    field = UserIdField()

    with django_assert_num_queries(0), pytest.raises(serializers.ValidationError) as caught:
        field.run_validation(2**63)

    assert caught.value.detail == [UNKNOWN_USER]


def test_the_field_gives_the_user_itself(friends):
    _, friend = friends

    assert UserIdField().run_validation(friend.pk) == friend
