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


def _liked_by_three(server, pablo):
    others = [browser_user(name) for name in ("mia", "leo", "ana")]
    for other in others:
        make_friends(pablo, other)
    post = post_as(server, pablo, "Held reload")
    for other in others:
        _like(server, other, post)
    return post


def _hold_the_next_groups_fetch(page, during) -> list[str]:
    """Answer the page's next fetch of its groups with what the server held before
    `during()` ran; returns the URLs held (one, once it happened)."""
    held: list[str] = []

    def hold(route) -> None:
        if held:
            route.continue_()
            return
        held.append(route.request.url)
        response = route.fetch()
        during()
        route.fulfill(response=response)

    page.route(re.compile(r"/api/notifications/\?.*grouped=true"), hold)
    return held


def _read_elsewhere(server, user) -> None:
    """Mark the user's newest notification read through the API: their grouped inbox page
    hears of it and fetches its groups again."""
    token = TokenFactory(user=user).key
    status, page = http_json("GET", f"{server}/api/notifications/?page_size=1", token)
    assert status == 200, page
    newest = page["results"][0]["id"]
    status, body = http_json("POST", f"{server}/api/notifications/{newest}/read/", token)
    assert status == 200, body


def test_a_like_arriving_while_the_grouped_inbox_reloads_joins_the_servers_group(
    visit, server, pablo_and_tito
):
    """A frame that lands while the page fetches its groups again must not stand in for the
    group: the entry keeps every actor the server knows and adds the new one."""
    pablo, tito = pablo_and_tito
    post = _liked_by_three(server, pablo)
    author = visit(pablo, path="/inbox/?view=grouped")
    groups = author.page.locator("#inbox-list > li")
    expect(groups.first).to_contain_text("ana, leo and 1 other liked your post")
    toast = author.page.locator("#toasts .toast")

    def like_and_wait_for_its_frame() -> None:
        _like(server, tito, post)
        expect(toast.filter(has_text="tito")).to_have_count(1)

    held = _hold_the_next_groups_fetch(author.page, like_and_wait_for_its_frame)
    _read_elsewhere(server, pablo)

    expect(groups).to_have_count(1)
    expect(groups.first).to_contain_text("tito, ana and 2 others liked your post")
    expect(groups.first.locator(".count-pill")).to_have_text("4")
    assert held, "the page did not fetch its groups again"


def test_an_unlike_arriving_while_the_grouped_inbox_reloads_leaves_the_group(
    visit, server, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    post = _liked_by_three(server, pablo)
    _like(server, tito, post)
    author = visit(pablo)
    frames: list[str] = []
    author.page.on(
        "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload))
    )
    author.open("/inbox/?view=grouped")
    groups = author.page.locator("#inbox-list > li")
    expect(groups.first).to_contain_text("tito, ana and 2 others liked your post")

    def unlike_and_wait_for_its_frame() -> None:
        status, body = http_json(
            "DELETE", f"{server}/api/posts/{post['id']}/like/", TokenFactory(user=tito).key
        )
        assert status == 200, body
        for _ in range(100):
            if any("notification_removed" in str(frame) for frame in frames):
                break
            author.page.wait_for_timeout(50)
        else:
            raise AssertionError("the removal's frame never came")
        author.page.wait_for_timeout(100)  # and the page has handled it

    held = _hold_the_next_groups_fetch(author.page, unlike_and_wait_for_its_frame)
    _read_elsewhere(server, pablo)

    expect(groups).to_have_count(1)
    expect(groups.first.locator(".count-pill")).to_have_text("3")
    expect(groups.first).to_contain_text("ana, leo and 1 other liked your post")
    assert held, "the page did not fetch its groups again"
