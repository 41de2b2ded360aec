"""Sign-up and direct messages: the pages a notification leads to."""

import re

import pytest
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.notifications.models import Notification
from tests.factories import TokenFactory
from tests.web.conftest import MOBILE, anonymous_errors, screenshot
from tests.wsclient import http_json

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def send_message(server: str, sender: User, to: User, text: str) -> dict:
    status, body = http_json(
        "POST",
        f"{server}/api/messages/",
        TokenFactory(user=sender).key,
        {"to": to.id, "text": text},
    )
    assert status == 201, body
    return body


def test_sign_up_shows_the_password_rules_and_their_errors_then_signs_in(
    browser, server, transactional_db
):
    context = browser.new_context(viewport=MOBILE, base_url=server)
    errors = anonymous_errors(context)
    page = context.new_page()
    try:
        page.goto(f"{server}/login/")
        page.get_by_role("link", name="Sign up").click()
        expect(page).to_have_url(f"{server}/signup/")
        rules = page.locator("#password-rules")
        expect(rules).to_contain_text("at least 8 characters")
        expect(page.get_by_label("Password")).to_have_attribute(
            "aria-describedby", re.compile("password-rules")
        )

        page.get_by_label("Username").fill("newcomer")
        page.get_by_label("Password").fill("12345678")
        page.get_by_role("button", name="Sign up").click()
        error = page.locator("#password-error")
        expect(error).to_contain_text("entirely numeric")
        expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Username")).to_have_value("newcomer")
        screenshot(page, "signup")

        page.get_by_label("Password").fill("a long and unusual passphrase")
        page.get_by_role("button", name="Sign up").click()
        expect(page).to_have_url(f"{server}/")
        expect(page.locator('#connection[data-state="open"]')).to_have_text("Live")
        assert User.objects.filter(username="newcomer").exists()
    finally:
        context.close()
    assert not errors


def test_conversation_is_live_and_reading_it_reads_its_message_notifications(
    visit, server, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    send_message(server, pablo, tito, "Are you there?")
    b = visit(tito)
    badge = b.page.locator("#unread-badge")
    expect(badge).to_have_text("1")

    # The inbox entry opens the conversation.
    page = b.open("/inbox/")
    page.get_by_role("link", name="pablo sent you a message").click()
    expect(page).to_have_url(f"{server}/messages/pablo/")
    thread = page.locator("#thread > li")
    expect(thread).to_have_count(1)
    expect(thread.first).to_contain_text("Are you there?")

    send_message(server, pablo, tito, "Lunch at one?")
    expect(thread).to_have_count(2)
    expect(thread.last).to_contain_text("Lunch at one?")
    page.get_by_label("Message to pablo").fill("Yes!")
    page.get_by_role("button", name="Send").click()
    expect(thread.last).to_contain_text("Yes!")
    expect(thread.last).to_have_class(re.compile(r"\bmine\b"))
    screenshot(page, "conversation")
    expect(
        page.locator("#unread-badge")
    ).to_be_hidden()  # nothing unseen: the page read it as it came
    page.wait_for_timeout(300)
    assert not Notification.objects.filter(recipient=tito, read_at__isnull=True).exists()


def test_a_new_message_toast_opens_the_conversation(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    b = visit(tito, path="/friends/")

    send_message(server, pablo, tito, "Ping")
    b.page.locator("#toasts .toast").get_by_role("link").click()

    expect(b.page).to_have_url(f"{server}/messages/pablo/")
    expect(b.page.locator("#thread > li")).to_have_count(1)


def test_messages_page_lists_friends_with_links_to_their_conversations(visit, pablo_and_tito):
    _, tito = pablo_and_tito
    page = visit(tito, path="/messages/").page

    page.get_by_role("link", name="pablo").click()

    expect(page).to_have_url(re.compile(r"/messages/pablo/$"))
    expect(page.locator("#thread-empty")).to_be_visible()
