import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from apps.accounts.models import User
from apps.accounts.ws_auth import _user_for_token
from project.asgi import application
from tests.factories import TokenFactory, UserFactory
from tests.plans import rows_read_without_nested_loops, statements_of

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(headers):
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, code


@database_sync_to_async
def session_cookie() -> bytes:
    client = Client()
    client.force_login(UserFactory())
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def test_token_header_is_accepted_without_origin():
    token = await database_sync_to_async(TokenFactory.create)()

    connected, _ = await handshake([(b"authorization", f"Token {token.key}".encode())])

    assert connected


@pytest.mark.parametrize("value", [b"Token wrong", b"Token ", b"Bearer abc"])
async def test_bad_token_header_is_refused(value):
    connected, _ = await handshake([(b"authorization", value)])

    assert not connected


async def test_anonymous_is_refused():
    connected, _ = await handshake([(b"origin", b"http://localhost")])

    assert not connected


async def test_session_cookie_from_allowed_origin_is_accepted():
    cookie = await session_cookie()

    connected, _ = await handshake([(b"cookie", cookie), (b"origin", b"http://localhost")])

    assert connected


@pytest.mark.parametrize("origin", [b"http://evil.example", None])
async def test_session_cookie_from_foreign_or_missing_origin_is_refused(origin):
    cookie = await session_cookie()
    headers = [(b"cookie", cookie)] + ([(b"origin", origin)] if origin else [])

    connected, _ = await handshake(headers)

    assert not connected


async def test_the_user_a_token_names_is_loaded_with_every_field_as_the_orm_loads_it():
    token = await database_sync_to_async(TokenFactory.create)(
        user__first_name="Ada", user__email="ada@example.com"
    )

    user = await _user_for_token(token.key)
    stored = await database_sync_to_async(User.objects.get)(pk=token.user_id)

    assert user is not None
    fields = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(user, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert not user._state.adding
    assert user._state.db == "default"


@pytest.mark.services
def test_a_token_reads_one_user_row_whatever_join_the_planner_prefers():
    UserFactory.create_batch(30)
    token = TokenFactory()
    [lookup] = statements_of(lambda: async_to_sync(_user_for_token)(token.key))

    assert rows_read_without_nested_loops(lookup, User._meta.db_table) == 1
