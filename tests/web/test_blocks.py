"""Blocking from the friends page, with the other side's inbox emptied live; the filtered
Requests section and who may send requests."""

import pytest
from playwright.sync_api import expect

from apps.friends.models import Block, FriendPreference, FriendRequest, Friendship
from apps.friends.services import friend_request_create
from tests.web.conftest import browser_user, post_as

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_block_from_a_friends_menu_empties_both_inboxes_live_then_unblock(
    visit, server, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    post_as(server, pablo, "From pablo")
    post_as(server, tito, "From tito")
    a = visit(tito, path="/friends/")
    b = visit(pablo, path="/inbox/")
    expect(b.page.locator("#inbox-list > li")).to_have_count(1)
    # The badge counts what is unseen: the open inbox marks what it shows seen (soon, not at
    # once), while tito has not opened his.
    expect(b.page.locator("#unread-badge")).to_be_hidden()
    expect(a.page.locator("#unread-badge")).to_have_text("1")

    menu = a.page.get_by_role("button", name="More for pablo")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    block = a.page.get_by_role("button", name="Block pablo")
    expect(block).to_be_focused()
    block.click()

    expect(a.page.locator("#friends-status")).to_have_text("You blocked pablo. They are not told.")
    expect(a.page.locator("#friend-list li")).to_have_count(0)
    expect(a.page.locator("#blocked-list")).to_contain_text("pablo")
    expect(a.page.locator("#unread-badge")).to_be_hidden(timeout=2000)
    expect(b.page.locator("#inbox-list > li")).to_have_count(0, timeout=2000)
    expect(b.page.locator("#unread-badge")).to_be_hidden(timeout=2000)
    assert Block.objects.filter(blocker=tito, blocked=pablo).exists()
    assert not Friendship.objects.filter(user=tito).exists()

    a.page.get_by_role("button", name="Unblock pablo").click()
    expect(a.page.locator("#blocked-list li")).to_have_count(0)
    expect(a.page.locator("#friend-list li")).to_have_count(0)
    assert not Block.objects.exists()


def test_menu_closes_with_escape_and_gives_focus_back(visit, pablo_and_tito):
    pablo, tito = pablo_and_tito
    a = visit(tito, path="/friends/")
    menu = a.page.get_by_role("button", name="More for pablo")

    menu.click()
    a.page.keyboard.press("Escape")

    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(a.page.get_by_role("button", name="Block pablo")).to_be_hidden()


def test_filtered_request_waits_in_the_requests_section_and_is_accepted_there(visit):
    tito, sam = browser_user("tito"), browser_user("sam")
    a = visit(tito, path="/friends/")

    a.page.get_by_label("Who may send you friend requests").select_option("nobody")
    expect(a.page.locator("#policy-status")).to_have_text("Saved.")
    assert FriendPreference.objects.get(user=tito).requests_from == "nobody"
    friend_request_create(from_user=sam, to_user=tito)
    a.open("/friends/")

    expect(a.page.get_by_label("Who may send you friend requests")).to_have_value("nobody")
    expect(a.page.locator("#filtered-list")).to_contain_text("sam")
    expect(a.page.locator("#incoming-list li")).to_have_count(0)
    expect(a.page.locator("#toasts .toast")).to_have_count(0)
    a.page.get_by_role("button", name="Accept friend request from sam").click()
    expect(a.page.locator("#friend-list")).to_contain_text("sam")
    expect(a.page.locator("#filtered-list li")).to_have_count(0)
    assert FriendRequest.objects.get().status == "accepted"


def test_block_from_a_post_authors_menu_on_the_feed_drops_their_posts(
    visit, server, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    post_as(server, pablo, "Pablo's post")
    post_as(server, tito, "Tito's own post")
    a = visit(tito, path="/")
    feed = a.page.locator("#feed > li")
    expect(feed).to_have_count(2)
    expect(a.page.get_by_role("button", name="More for tito")).to_have_count(0)

    a.page.get_by_role("button", name="More for pablo").click()
    a.page.get_by_role("button", name="Block pablo").click()

    expect(feed).to_have_count(1)
    expect(feed).to_contain_text("Tito's own post")
    assert Block.objects.filter(blocker=tito, blocked=pablo).exists()
