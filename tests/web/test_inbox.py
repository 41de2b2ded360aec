"""The inbox page: what a closed page missed, grouped; read state shared across tabs."""

import re

import pytest
from playwright.sync_api import expect

from apps.notifications.models import Notification

from tests.web.conftest import post_as, post_from, screenshot

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_posts_missed_while_page_was_closed_show_grouped_with_right_badge(visit, pablo_and_tito):
    pablo, tito = pablo_and_tito
    a, b = visit(pablo), visit(tito)
    b.page.close()

    for text in ["First of three", "Second of three", "Third of three"]:
        post_from(a, text)

    page = b.open("/inbox/?view=grouped")
    groups = page.locator("#inbox-list > li")
    expect(groups).to_have_count(1)
    expect(groups.first).to_contain_text("pablo posted 3 things")
    expect(groups.first).to_contain_text("Third of three")
    expect(groups.first.locator(".count-pill")).to_have_text("3")
    expect(groups.first).to_have_class(re.compile(r"\bunread\b"))
    expect(page.locator("#unread-badge")).to_have_text("3")
    # The socket caught up from the last id this browser saw: one toast for the batch.
    expect(page.locator("#toasts .toast")).to_have_count(1)
    expect(page.locator("#toasts .toast")).to_contain_text("pablo posted 3 things")
    screenshot(page, "inbox-grouped")

    page.get_by_role("link", name="All").click()
    items = page.locator("#inbox-list > li")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("Third of three")
    expect(items.last).to_contain_text("First of three")

    page.get_by_role("link", name="Grouped").click()
    page.get_by_role("button", name=re.compile(r"^Mark read: pablo posted 3 things")).click()
    expect(groups.first).not_to_have_class(re.compile(r"\bunread\b"))
    expect(page.locator("#unread-badge")).to_be_hidden()


def test_read_state_changes_in_one_tab_update_the_badge_in_another(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    for text in ["Breakfast", "Lunch", "Dinner"]:
        post_as(server, pablo, text)
    b = visit(tito, path="/inbox/")
    inbox = b.page
    other = b.open("/", new_tab=True)
    other_badge = other.locator("#unread-badge")
    items = inbox.locator("#inbox-list > li")
    expect(items).to_have_count(3)
    expect(inbox.locator("#inbox-list > li.unread")).to_have_count(3)
    expect(other_badge).to_have_text("3")
    inbox.bring_to_front()
    screenshot(inbox, "inbox")

    items.filter(has_text="Dinner").get_by_role("button", name=re.compile("^Mark read")).click()
    expect(items.filter(has_text="Dinner")).not_to_have_class(re.compile(r"\bunread\b"))
    expect(other_badge).to_have_text("2", timeout=2000)

    items.filter(has_text="Lunch").get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(items).to_have_count(2)
    expect(other_badge).to_have_text("1", timeout=2000)

    inbox.get_by_role("button", name="Mark all read").click()
    expect(inbox.locator("#inbox-status")).to_have_text("Marked 1 notification read.")
    expect(inbox.locator("#inbox-list > li.unread")).to_have_count(0)
    expect(other_badge).to_be_hidden(timeout=2000)
    expect(inbox.locator("#unread-badge")).to_be_hidden()

    items.filter(has_text="Dinner").get_by_role("button", name=re.compile("^Mark unread")).click()
    expect(other_badge).to_have_text("1", timeout=2000)


def test_inbox_loads_more_and_filters_unread(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    for number in range(23):
        post_as(server, pablo, f"Post number {number}")
    b = visit(tito, path="/inbox/")
    page = b.page
    items = page.locator("#inbox-list > li")
    expect(items).to_have_count(20)
    expect(items.first).to_contain_text("Post number 22")

    page.get_by_role("button", name="Load more").click()
    expect(items).to_have_count(23)
    expect(items.last).to_contain_text("Post number 0")
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()

    items.first.get_by_role("button", name=re.compile("^Mark read")).click()
    expect(page.locator("#unread-badge")).to_have_text("22")
    page.get_by_label("Unread only").check()
    expect(page).to_have_url(re.compile(r"unread=true"))
    expect(items).to_have_count(20)
    expect(items.first).to_contain_text("Post number 21")


@pytest.mark.parametrize("how", ["click", "Enter"])
def test_opening_an_unread_item_in_all_view_marks_it_read_and_opens_it(
    visit, server, pablo_and_tito, how
):
    pablo, tito = pablo_and_tito
    post = post_as(server, pablo, "Open me")
    page = visit(tito, path="/inbox/?view=all").page
    link = page.locator("#inbox-list > li.unread").get_by_role("link")
    expect(link).to_have_count(1)

    if how == "click":
        link.click()
    else:
        link.focus()
        page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/posts/{post['id']}/$"))
    expect(page.locator("#post")).to_contain_text("Open me")
    assert Notification.objects.get(recipient=tito).read_at is not None
