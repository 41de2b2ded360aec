"""One-click unsubscribe: the signed link from the email, without logging in."""

import pytest
from django.test import Client

from apps.digests.models import DigestSettings
from apps.digests.services import digests_send_round
from apps.digests.tokens import unsubscribe_token
from tests.factories import UserFactory

from .conftest import pending, unsubscribe_link

pytestmark = pytest.mark.django_db


def link_path(message) -> str:
    return unsubscribe_link(message).removeprefix("https://ripple.example")


def csrf_checking_client() -> Client:
    return Client(enforce_csrf_checks=True)


def test_the_link_asks_first_then_the_form_turns_digests_off(smtp, at_six_pm):
    me = UserFactory()
    pending(me)
    digests_send_round()
    path = link_path(smtp.to(me.email)[0])
    client = csrf_checking_client()

    page = client.get(path)
    assert page.status_code == 200
    assert b"Stop digest emails" in page.content
    # A GET (a link scanner, a preview) changes nothing.
    assert not DigestSettings.objects.filter(user=me).exists()

    done = client.post(path)

    assert done.status_code == 200
    assert DigestSettings.objects.get(user=me).frequency == "off"
    pending(me, hours=4.5)
    assert digests_send_round() == (0, 0)


def test_the_one_click_post_of_rfc_8058(smtp, at_six_pm):
    me = UserFactory()
    DigestSettings.objects.create(user=me, frequency="daily", hour=18, time_zone="Europe/Madrid")
    path = link_path_for(me.pk)

    response = csrf_checking_client().post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    chosen = DigestSettings.objects.get(user=me)
    assert (chosen.frequency, chosen.hour, chosen.time_zone) == ("off", 18, "Europe/Madrid")


def link_path_for(user_id: int) -> str:
    return f"/digests/unsubscribe/{unsubscribe_token(user_id=user_id)}/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_altered_token_does_nothing(method):
    me = UserFactory()
    token = unsubscribe_token(user_id=me.pk)
    other = UserFactory()
    forged = token.replace(token.split(":")[0], unsubscribe_token(user_id=other.pk).split(":")[0])

    for bad in (forged, token[:-2] + "xx", "nonsense"):
        response = getattr(Client(), method)(f"/digests/unsubscribe/{bad}/")
        assert response.status_code == 404

    assert not DigestSettings.objects.exists()


def test_another_salts_signature_is_not_an_unsubscribe_token():
    from django.core import signing

    me = UserFactory()
    token = signing.dumps({"u": me.pk})

    assert Client().post(f"/digests/unsubscribe/{token}/").status_code == 404
    assert not DigestSettings.objects.exists()
