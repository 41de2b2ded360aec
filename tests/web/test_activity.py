"""Likes in the browser: a like group growing live in the inbox, counts moving on a feed."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import TokenFactory, make_friends
from tests.web.conftest import browser_user, post_as
from tests.wsclient import http_json

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _like(server, user, post) -> None:
    status, body = http_json(
        "POST", f"{server}/api/posts/{post['id']}/like/", TokenFactory(user=user).key
    )
    assert status == 200, body


def test_a_like_group_grows_live_in_the_inbox_and_counts_move_on_a_friends_feed(
    visit, server, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    others = [browser_user(name) for name in ("mia", "leo", "ana")]
    for other in others:
        make_friends(pablo, other)
    post = post_as(server, pablo, "Look at this sunset\nTaken from the roof")
    author = visit(pablo, path="/inbox/?view=grouped")
    friend = visit(tito)
    friend_card = friend.page.locator(f'article.post[data-post-id="{post["id"]}"]')
    expect(friend_card.locator("button.like .count")).to_have_text("0")

    _like(server, tito, post)

    groups = author.page.locator("#inbox-list > li")
    expect(groups).to_have_count(1)
    expect(groups.first).to_contain_text("tito liked your post")
    expect(groups.first).to_contain_text("Look at this sunset")
    expect(groups.first.get_by_role("link", name="tito liked your post")).to_have_attribute(
        "href", f"/posts/{post['id']}/"
    )

    for other in others:
        _like(server, other, post)

    expect(groups).to_have_count(1)
    expect(groups.first).to_contain_text("ana, leo and 2 others liked your post")
    expect(groups.first.locator(".count-pill")).to_have_text("4")
    # One toast for the whole group, rewritten as it grows.
    toast = author.page.locator("#toasts .toast")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("ana and 3 others liked your post")
    # The friend's feed follows the likes without a notification of its own: the badge
    # still counts only the post.
    expect(friend_card.locator("button.like .count")).to_have_text("4")
    expect(friend.page.locator("#unread-badge")).to_have_text("1")

    # The same entry, read from the server after a reload, and read back to unread by a
    # new like once marked read.
    page = author.open("/inbox/?view=grouped")
    expect(groups.first).to_contain_text("ana, leo and 2 others liked your post")
    page.get_by_role("button", name=re.compile(r"^Mark read: ana, leo")).click()
    expect(groups.first).not_to_have_class(re.compile(r"\bunread\b"))
    status, _ = http_json(
        "DELETE", f"{server}/api/posts/{post['id']}/like/", TokenFactory(user=tito).key
    )
    assert status == 200
    _like(server, tito, post)
    expect(groups.first).to_have_class(re.compile(r"\bunread\b"))
    expect(groups.first).to_contain_text("tito, ana and 2 others liked your post")


def test_mentions_in_a_post_are_links(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    post_as(server, pablo, "Dinner with @tito <b>tonight</b>")

    page = visit(tito).page

    card = page.locator("#feed > li").first
    expect(card.get_by_role("link", name="@tito")).to_have_attribute(
        "href", "/friends/?username=tito"
    )
    # Text, never markup.
    expect(card.locator(".post-content")).to_contain_text("<b>tonight</b>")
