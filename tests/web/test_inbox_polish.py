"""The polished inbox: type chips, keyboard shortcuts, avatars and type icons, short
timestamps, infinite scroll; and the feed's "N new posts" instead of shifting under the eyes."""

import re

import pytest
from playwright.sync_api import expect

from apps.notifications.models import NotificationPreference
from tests.factories import TokenFactory
from tests.web.conftest import post_as
from tests.wsclient import http_json

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_type_chips_show_one_kind_and_say_which_is_on(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    post_as(server, pablo, "A post")
    status, _ = http_json(
        "POST",
        f"{server}/api/messages/",
        TokenFactory(user=pablo).key,
        {"to": tito.id, "text": "Hi"},
    )
    assert status == 201
    page = visit(tito, path="/inbox/").page
    rows = page.locator("#inbox-list > li")
    expect(rows).to_have_count(2)

    page.get_by_role("button", name="Messages").click()

    expect(page).to_have_url(re.compile(r"type=messages"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("pablo sent you a message")
    expect(page.get_by_role("button", name="Messages")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Everything")).to_have_attribute("aria-pressed", "false")
    post_as(server, pablo, "Another post, live")  # not a message: stays out of this view
    expect(page.locator("#toasts .toast")).to_have_count(1)
    expect(rows).to_have_count(1)


def test_keyboard_moves_reads_finishes_and_explains(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    for text in ["First", "Second", "Third"]:
        post_as(server, pablo, text)
    page = visit(tito, path="/inbox/").page
    rows = page.locator("#inbox-list > li")
    expect(rows).to_have_count(3)
    # An avatar with the actor's initial and an icon for the type, on every entry.
    expect(rows.first.locator(".avatar")).to_have_text("P")
    expect(rows.locator(".type-icon")).to_have_count(3)

    page.keyboard.press("j")
    expect(rows.nth(0).get_by_role("link")).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(1).get_by_role("link")).to_be_focused()
    page.keyboard.press("u")
    expect(rows.nth(1)).not_to_have_class(re.compile(r"\bunread\b"))
    page.keyboard.press("u")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bunread\b"))
    rows.nth(1).get_by_role("link").focus()
    page.keyboard.press("e")
    expect(rows).to_have_count(2)
    expect(page.locator("#undo-bar")).to_contain_text("Done:")
    assert page.evaluate("document.activeElement.tagName") != "BODY"

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_timestamps_are_short_then_dates(visit, pablo_and_tito):
    _, tito = pablo_and_tito
    page = visit(tito).page

    texts = page.evaluate(
        """async () => {
          const { timeAgo } = await import("/static/ripple/dom.js");
          const now = Date.parse("2026-06-15T12:00:00Z");
          const ago = (ms) => timeAgo(new Date(now - ms).toISOString(), now);
          return [ago(5e3), ago(5 * 60e3), ago(3 * 3600e3), ago(2 * 86400e3),
                  ago(40 * 86400e3), timeAgo("2024-03-04T12:00:00Z", now)];
        }"""
    )

    assert texts[:4] == ["now", "5 min", "3 h", "2 d"]
    assert "May" in texts[4]
    assert "mo" not in texts[4]
    assert "2024" in texts[5]


def test_inbox_scrolls_on_without_a_click_and_keeps_the_button(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    for number in range(25):
        post_as(server, pablo, f"Post number {number}")
    page = visit(tito, path="/inbox/").page
    rows = page.locator("#inbox-list > li")
    expect(rows).to_have_count(20)
    expect(page.locator("#inbox-skeleton")).to_be_hidden()

    page.mouse.wheel(0, 20_000)

    expect(rows).to_have_count(25)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()


def test_feed_scrolled_down_counts_new_posts_instead_of_shifting(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    for number in range(12):
        post_as(server, pablo, f"Older post {number} " + "with some text to fill the card " * 3)
    page = visit(tito).page
    cards = page.locator("#feed > li")
    expect(cards).to_have_count(12)
    page.mouse.wheel(0, 900)
    page.wait_for_function("window.scrollY > 300")

    post_as(server, pablo, "Fresh news")

    button = page.locator("#feed-new")
    expect(button).to_have_text("1 new post")
    expect(cards).to_have_count(12)
    button.click()
    expect(cards.first).to_contain_text("Fresh news")
    expect(button).to_be_hidden()
    page.wait_for_function("window.scrollY === 0")


def test_grouped_inbox_fetched_again_keeps_the_entries_loaded_and_the_focus(
    visit, server, pablo_and_tito
):
    """Reading a group by keyboard makes the page fetch its groups again (their counts span
    rows it never loaded); the entries loaded past the first page and the focus stay."""
    pablo, tito = pablo_and_tito
    # No batching: every post is a group of its own.
    NotificationPreference.objects.create(user=tito, batch_window_seconds=0)
    for number in range(23):
        post_as(server, pablo, f"Post number {number}")
    page = visit(tito, path="/inbox/?view=grouped").page
    groups = page.locator("#inbox-list > li")
    expect(groups).to_have_count(20)
    page.get_by_role("button", name="Load more").click()
    expect(groups).to_have_count(23)
    groups.nth(1).get_by_role("link").focus()
    key = groups.nth(1).get_attribute("data-key")

    with page.expect_response(lambda response: "grouped=true" in response.url):
        page.keyboard.press("u")

    expect(groups.nth(1)).not_to_have_class(re.compile(r"\bunread\b"))
    expect(groups).to_have_count(23)
    expect(groups.nth(1)).to_have_attribute("data-key", key)
    expect(groups.nth(1).get_by_role("button", name=re.compile("^Done"))).to_be_focused()
