"""The inbox page: what a closed page missed, grouped; read state shared across tabs."""

import re

import pytest
from playwright.sync_api import expect

from apps.notifications.models import Notification
from tests.factories import TokenFactory
from tests.web.conftest import browser_user, post_as, post_from, screenshot
from tests.wsclient import http_json

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
    # Open, the inbox has seen them all: the badge counts only what is new since.
    expect(page.locator("#unread-badge")).to_be_hidden()
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

    page.get_by_role("button", name=re.compile(r"^Done: pablo posted 3 things")).click()
    expect(groups).to_have_count(0)
    assert Notification.objects.filter(recipient=b.user, done_at__isnull=True).count() == 0
    page.locator("#undo-bar").get_by_role("button", name="Undo").click()
    expect(groups).to_have_count(1)
    expect(groups.first.locator(".count-pill")).to_have_text("3")


def _unread(page, text: str):
    return page.locator("#inbox-list > li.unread").filter(has_text=text)


def test_read_unread_done_and_undo_in_one_tab_show_in_two_others_on_another_worker(
    visit, server, second_server, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    for text in ["Breakfast", "Lunch", "Dinner"]:
        post_as(server, pablo, text)
    # The badge counts what is unseen: three, until an inbox is opened.
    feed = visit(tito, on=second_server)
    badge = feed.page.locator("#unread-badge")
    expect(badge).to_have_text("3")
    a = visit(tito, path="/inbox/")
    b = feed.open("/inbox/", new_tab=True)
    # Seen, not read: the badge is gone, every row is still unread in both inboxes.
    expect(badge).to_be_hidden()
    for page in [a.page, b]:
        expect(page.locator("#inbox-list > li.unread")).to_have_count(3)
    expect(a.page.locator("#unread-badge")).to_be_hidden()
    screenshot(a.page, "inbox")

    items = a.page.locator("#inbox-list > li")
    items.filter(has_text="Dinner").get_by_role("button", name=re.compile("^Mark read")).click()
    expect(_unread(b, "Dinner")).to_have_count(0)
    expect(b.locator("#inbox-list > li.unread")).to_have_count(2)

    b.locator("#inbox-list > li").filter(has_text="Dinner").get_by_role(
        "button", name=re.compile("^Mark unread")
    ).click()
    expect(_unread(a.page, "Dinner")).to_have_count(1)

    items.filter(has_text="Lunch").get_by_role("button", name=re.compile("^Done")).click()
    expect(items).to_have_count(2)
    expect(b.locator("#inbox-list > li")).to_have_count(2)
    undo = a.page.locator("#undo-bar")
    expect(undo).to_contain_text("Done: pablo posted something")
    a.page.wait_for_timeout(5000)  # still there well after a glance
    undo.get_by_role("button", name="Undo").click()
    for page in [a.page, b]:
        expect(page.locator("#inbox-list > li")).to_have_text(
            [re.compile("Dinner"), re.compile("Lunch"), re.compile("Breakfast")]
        )

    a.page.get_by_role("button", name="Mark all read").click()
    expect(a.page.locator("#inbox-status")).to_have_text("Marked 3 notifications read.")
    expect(b.locator("#inbox-list > li.unread")).to_have_count(0)
    expect(badge).to_be_hidden()


def test_a_tab_back_from_offline_gets_the_current_state_of_what_it_shows(
    visit, server, second_server, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    for text in ["Breakfast", "Lunch", "Dinner"]:
        post_as(server, pablo, text)
    a = visit(tito, path="/inbox/")
    b = visit(tito, path="/inbox/", on=second_server)
    b.allow_console_error("ERR_INTERNET_DISCONNECTED")
    rows = b.page.locator("#inbox-list > li")
    expect(rows).to_have_count(3)

    b.context.set_offline(True)
    expect(b.page.locator("#connection")).to_have_text("Offline")
    items = a.page.locator("#inbox-list > li")
    items.filter(has_text="Dinner").get_by_role("button", name=re.compile("^Mark read")).click()
    items.filter(has_text="Lunch").get_by_role("button", name=re.compile("^Done")).click()
    expect(items).to_have_count(2)
    b.page.wait_for_timeout(500)
    expect(rows).to_have_count(3)  # it heard nothing

    b.context.set_offline(False)
    expect(rows).to_have_count(2)
    expect(b.page.locator("#inbox-list > li.unread")).to_have_text([re.compile("Breakfast")])


def test_opening_a_notification_from_its_toast_reads_it(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    b = visit(tito)
    post_as(server, pablo, "Read from the toast")

    b.page.locator("#toasts .toast").get_by_role("link").click()

    expect(b.page).to_have_url(re.compile(r"/posts/\d+/$"))
    expect(b.page.locator("#post")).to_contain_text("Read from the toast")
    assert Notification.objects.get(recipient=tito).read_at is not None


def test_friend_request_accepted_from_the_inbox_reads_it_and_shows_the_outcome(visit, server):
    tito, sam, ana = browser_user("tito"), browser_user("sam"), browser_user("ana")
    for sender in [sam, ana]:
        status, body = http_json(
            "POST",
            f"{server}/api/friend-requests/",
            TokenFactory(user=sender).key,
            {"to_user": tito.id},
        )
        assert status == 201, body
    page = visit(tito, path="/inbox/").page
    rows = page.locator("#inbox-list > li")
    expect(rows).to_have_count(2)

    rows.filter(has_text="sam").get_by_role("button", name="Accept friend request from sam").click()
    sam_row = rows.filter(has_text="sam")
    expect(sam_row).to_contain_text("You and sam are now friends.")
    expect(sam_row).not_to_have_class(re.compile(r"\bunread\b"))
    expect(sam_row.get_by_role("button", name=re.compile("^Accept"))).to_have_count(0)
    rows.filter(has_text="ana").get_by_role(
        "button", name="Decline friend request from ana"
    ).click()
    expect(rows.filter(has_text="ana")).to_contain_text("You declined ana's request.")
    assert tito.friendships.filter(friend=sam).exists()
    assert not tito.friendships.filter(friend=ana).exists()
    assert not Notification.objects.filter(recipient=tito, read_at__isnull=True).exists()


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
    expect(items.first).not_to_have_class(re.compile(r"\bunread\b"))
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
