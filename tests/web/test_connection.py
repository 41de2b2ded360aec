"""The header's connection state follows the network at once, in words on every screen."""

import pytest
from playwright.sync_api import expect

from tests.web.conftest import MOBILE, post_as

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_header_says_offline_at_once_and_clears_the_network_error_when_back(
    visit, server, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    post_as(server, pablo, "Read me later")
    b = visit(tito, path="/inbox/")
    page = b.page
    # Chromium logs each request refused while offline; that is the point of this test.
    b.allow_console_error("ERR_INTERNET_DISCONNECTED")
    connection = page.locator("#connection")
    expect(connection).to_have_text("Live")

    b.context.set_offline(True)
    expect(connection).to_have_text("Offline", timeout=2000)
    expect(connection).to_have_attribute("data-state", "offline")
    page.get_by_role("button", name="Mark read: pablo posted something").click()
    status = page.locator("#inbox-status")
    expect(status).to_contain_text("Cannot reach the server")

    b.context.set_offline(False)
    expect(connection).to_have_text("Live", timeout=4000)
    expect(status).to_have_text("")


def test_connection_state_is_a_visible_word_on_mobile(visit, pablo_and_tito):
    _, tito = pablo_and_tito
    page = visit(tito, viewport=MOBILE).page
    connection = page.locator("#connection")

    expect(connection).to_have_text("Live")
    expect(connection).to_be_visible()
    font_size = connection.evaluate("element => parseFloat(getComputedStyle(element).fontSize)")
    assert font_size >= 11
    box = connection.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= MOBILE["width"]
