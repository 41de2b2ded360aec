"""Long names and long text stay on screen: nothing is wider than a phone."""

import pytest
from playwright.sync_api import expect

from tests.factories import FriendRequestFactory, make_friends
from tests.web.conftest import MOBILE, browser_user, horizontal_overflow, post_as

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

LONG = "w" * 150  # the longest username the model allows, with no place to break


def test_a_150_character_username_fits_a_390_pixel_screen(visit, server):
    me = browser_user(LONG)
    friend, stranger = browser_user("f" * 149 + "r"), browser_user("s" * 149 + "t")
    make_friends(me, friend)
    FriendRequestFactory(from_user=stranger, to_user=me)
    post_as(server, friend, "x" * 400)
    visitor = visit(me, path="/friends/", viewport=MOBILE)
    page = visitor.page

    accept = page.get_by_role("button", name=f"Accept friend request from {stranger.username}")
    expect(accept).to_be_visible()
    box = accept.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= MOBILE["width"]
    expect(page.locator("#friend-list")).to_contain_text(friend.username)
    assert horizontal_overflow(page) == 0

    for path in ["/", "/inbox/"]:
        visitor.open(path)
        expect(page.locator("#feed > li, #inbox-list > li").first).to_be_visible()
        assert horizontal_overflow(page) == 0, path
