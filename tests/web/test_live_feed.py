"""The seed's manual test, automated: two friends in two browsers, one posts, the other sees
it arrive; plus the socket's reconnect-and-catch-up and its backoff."""

import re

import pytest
from playwright.sync_api import WebSocketRoute, expect

from tests.web.conftest import post_as, post_from, screenshot

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_friend_post_appears_at_top_of_feed_with_toast_and_badge_without_reload(
    visit, pablo_and_tito
):
    pablo, tito = pablo_and_tito
    a, b = visit(pablo, via_form=True), visit(tito)
    post_from(a, "An older post")
    expect(b.page.locator("#feed > li").first).to_contain_text("An older post", timeout=2000)
    b.page.evaluate("window.stillTheSamePage = true")

    # Posting from the keyboard: type, then Ctrl+Enter.
    a.page.get_by_label("What's on your mind?").fill("Just shipped the live feed!")
    a.page.get_by_label("Type").select_option("milestone")
    a.page.get_by_label("What's on your mind?").press("Control+Enter")

    first = b.page.locator("#feed > li").first
    expect(first).to_contain_text("Just shipped the live feed!", timeout=2000)
    expect(first).to_contain_text("pablo")
    expect(first).to_contain_text("Milestone")
    expect(b.page.locator("#feed > li")).to_have_count(2)
    toast = b.page.locator("#toasts .toast")
    expect(toast).to_have_count(1, timeout=2000)
    expect(toast).to_contain_text("pablo posted 2 things")
    expect(b.page.locator("#unread-badge")).to_have_text("2", timeout=2000)
    assert b.page.evaluate("window.stillTheSamePage") is True
    screenshot(b.page, "feed")

    toast.get_by_role("link").click()
    expect(b.page).to_have_url(re.compile(r"/posts/\d+/$"))
    expect(b.page.locator("#post")).to_contain_text("Just shipped the live feed!")
    b.page.get_by_label("Your reply").fill("Congratulations!")
    b.page.get_by_role("button", name="Reply").click()
    expect(b.page.locator("#replies")).to_contain_text("Congratulations!")
    expect(b.page.locator("#post .replies")).to_have_text("1 reply")
    screenshot(b.page, "post")


def test_dropped_socket_reconnects_and_catches_up_from_last_id_seen(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    b = visit(tito)
    post_as(server, pablo, "Seen while connected")
    expect(b.page.locator("#feed > li").first).to_contain_text("Seen while connected")

    # Route the socket through the test, so it can cut the line and refuse to reconnect.
    routes: list[WebSocketRoute] = []
    refusing: list[bool] = []

    def route(ws: WebSocketRoute) -> None:
        routes.append(ws)
        if refusing:
            ws.close(code=1011)
        else:
            ws.connect_to_server()

    b.context.route_web_socket(re.compile(r"/ws/notifications/"), route)
    page = b.open("/")
    expect(page.locator("#unread-badge")).to_have_text("1")
    seen = int(page.evaluate(f"localStorage.getItem('ripple:last-notification-id:{tito.pk}')"))

    refusing.append(True)
    routes[-1].close(code=1006)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    post_as(server, pablo, "Missed one")
    post_as(server, pablo, "Missed two", type="question")
    expect(page.locator("#toasts .toast")).to_have_count(0)
    refusing.clear()
    # The network is back: the client reconnects at once instead of waiting out its backoff.
    page.evaluate("window.dispatchEvent(new Event('online'))")

    feed = page.locator("#feed > li")
    expect(feed.first).to_contain_text("Missed two", timeout=5000)
    expect(feed.nth(1)).to_contain_text("Missed one")
    expect(feed).to_have_count(3)
    # One toast for the batch: the server counts all three posts in pablo's group.
    expect(page.locator("#toasts .toast")).to_have_count(1)
    expect(page.locator("#toasts .toast")).to_contain_text("pablo posted 3 things")
    expect(page.locator("#unread-badge")).to_have_text("3")
    assert routes[-1].url.endswith(f"?after={seen}")

    page.set_viewport_size({"width": 390, "height": 760})
    screenshot(page, "feed-mobile")


def test_skip_link_is_the_first_stop_for_keyboard_users(visit, pablo_and_tito):
    page = visit(pablo_and_tito[1]).page

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("What's on your mind?")).to_be_focused()


def test_backoff_delay_grows_exponentially_with_jitter_and_a_cap(visit, pablo_and_tito):
    b = visit(pablo_and_tito[1])

    result = b.page.evaluate(
        """async () => {
            const { backoffDelay } = await import("/static/ripple/realtime.js");
            const at = (r) => () => r;
            const attempts = [0, 1, 2, 3, 4, 5, 6, 7, 40];
            return {
                lowest: attempts.map((n) => backoffDelay(n, { random: at(0) })),
                highest: attempts.map((n) => backoffDelay(n, { random: at(1) })),
                custom: backoffDelay(2, { baseMs: 100, maxMs: 1000, random: at(0.5) }),
                nonsense: [-3, "x", null, 2.7].map((n) => backoffDelay(n, { random: at(0) })),
                distinct: new Set(Array.from({ length: 50 }, () => backoffDelay(5))).size,
            };
        }"""
    )

    assert result["lowest"] == [250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]
    assert result["highest"] == [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
    assert result["custom"] == 300
    assert result["nonsense"] == [250, 250, 250, 1000]
    assert result["distinct"] > 10


def test_login_page_rejects_a_wrong_password_with_an_alert(browser, server, transactional_db):
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.goto(f"{server}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
    screenshot(page, "login")
    context.close()


def test_own_post_appears_in_the_authors_other_open_tabs(visit, pablo_and_tito):
    pablo, _ = pablo_and_tito
    a = visit(pablo)
    other = a.open("/", new_tab=True)

    a.page.bring_to_front()
    post_from(a, "Written in the first tab")

    expect(other.locator("#feed > li").first).to_contain_text("Written in the first tab")


def test_a_reply_whose_live_count_comes_before_its_answer_is_counted_once(
    visit, server, pablo_and_tito
):
    """The post's `post_counts` frame can beat the reply's own HTTP answer on a busy machine;
    the page then already shows the reply in the count and must not add it again."""
    pablo, tito = pablo_and_tito
    post = post_as(server, pablo, "Reply to me")
    b = visit(tito, path=f"/posts/{post['id']}/")
    label = b.page.locator("#post .replies")
    expect(label).to_have_text("0 replies")

    def answer_after_the_frame(route) -> None:
        response = route.fetch()  # the reply is committed and its frame sent
        expect(label).to_have_text("1 reply")
        route.fulfill(response=response)

    b.page.route("**/api/posts/*/replies/", answer_after_the_frame)
    b.page.get_by_label("Your reply").fill("First!")
    b.page.get_by_role("button", name="Reply").click()

    expect(b.page.locator("#reply-status")).to_have_text("Reply posted.")
    expect(label).to_have_text("1 reply")
