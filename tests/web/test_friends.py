"""The friends page: find someone, send a request, accept it, with live toasts both ways."""

import pytest
from playwright.sync_api import expect

from apps.friends.models import Friendship
from tests.factories import FriendRequestFactory
from tests.web.conftest import browser_user, screenshot

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_friend_request_sent_and_accepted_through_pages_with_live_toasts(visit):
    pablo, tito, sam = browser_user("pablo"), browser_user("tito"), browser_user("sam")
    FriendRequestFactory(from_user=sam, to_user=tito)
    a, b = visit(pablo, path="/friends/"), visit(tito, path="/friends/")
    expect(b.page.locator("#incoming-list")).to_contain_text("sam")

    a.page.get_by_label("Username").fill("TIT")
    a.page.get_by_role("button", name="Search").click()
    a.page.get_by_role("button", name="Send a friend request to tito").click()
    expect(a.page.locator("#friends-status")).to_have_text("Friend request sent to tito.")
    expect(a.page.locator("#outgoing-list")).to_contain_text("tito")

    toast = b.page.locator("#toasts .toast")
    expect(toast).to_have_text("pablo sent you a friend request×", timeout=2000)
    expect(b.page.locator("#incoming-list li")).to_have_count(2)
    expect(b.page.locator("#incoming-list li").first).to_contain_text("pablo")
    screenshot(b.page, "friends")

    b.page.get_by_role("button", name="Accept friend request from pablo").click()
    expect(b.page.locator("#friend-list")).to_contain_text("pablo")
    b.page.get_by_role("button", name="Decline friend request from sam").click()
    expect(b.page.locator("#incoming-list li")).to_have_count(0)

    expect(a.page.locator("#toasts .toast")).to_contain_text(
        "tito accepted your friend request", timeout=2000
    )
    expect(a.page.locator("#friend-list")).to_contain_text("tito")
    expect(a.page.locator("#outgoing-list li")).to_have_count(0)
    assert Friendship.objects.filter(user=pablo, friend=tito).exists()
    assert Friendship.objects.filter(user=tito, friend=pablo).exists()

    a.page.get_by_role("button", name="Unfriend tito").click()
    # Asked first; Cancel keeps the friend.
    a.page.get_by_role("button", name="Keep tito as a friend").click()
    expect(a.page.get_by_role("button", name="Unfriend tito")).to_be_focused()
    assert Friendship.objects.filter(user=pablo).exists()
    a.page.get_by_role("button", name="Unfriend tito").click()
    a.page.get_by_role("button", name="Yes, unfriend tito").click()
    expect(a.page.locator("#friend-list li")).to_have_count(0)
    expect(a.page.locator("#friend-list-heading")).to_be_focused()
    assert not Friendship.objects.filter(user=pablo).exists()
