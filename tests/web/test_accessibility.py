"""axe-core finds nothing on any page, on a desktop screen and on a phone; nothing is wider
than the screen. Also refreshes the screenshots (artifacts/screenshots/, copied to docs/)."""

import pytest
from playwright.sync_api import expect

from tests.factories import TokenFactory
from tests.web.conftest import (
    DESKTOP,
    MOBILE,
    anonymous_errors,
    axe_violations,
    browser_user,
    horizontal_overflow,
    post_as,
    screenshot,
)
from tests.wsclient import http_json

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SIGNED_IN_PAGES = [
    ("feed", "/", "#feed > li"),
    ("post", "/posts/{post}/", "#post"),
    ("inbox", "/inbox/", "#inbox-list > li"),
    ("inbox-grouped", "/inbox/?view=grouped", "#inbox-list > li"),
    ("settings", "/settings/notifications/", "form"),
    ("friends", "/friends/", "#incoming-list > li"),
    ("messages", "/messages/", "#conversations > li"),
    ("conversation", "/messages/pablo/", "#thread > li"),
]


@pytest.mark.parametrize(("viewport", "suffix"), [(DESKTOP, ""), (MOBILE, "-mobile")])
def test_every_page_has_no_axe_violations_and_fits_the_screen(
    visit, browser, server, pablo_and_tito, viewport, suffix
):
    pablo, tito = pablo_and_tito
    sam = browser_user("sam")
    pablo_key = TokenFactory(user=pablo).key
    post = post_as(server, pablo, "Shipped the inbox today!", type="milestone")
    post_as(server, pablo, "Anyone up for lunch?", type="question")
    http_json("POST", f"{server}/api/messages/", pablo_key, {"to": tito.id, "text": "See you!"})
    http_json(
        "POST", f"{server}/api/friend-requests/", TokenFactory(user=sam).key, {"to_user": tito.id}
    )
    visitor = visit(tito, viewport=viewport)
    problems = {}
    for name, path, ready in SIGNED_IN_PAGES:
        page = visitor.open(path.format(post=post["id"]))
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_timeout(150)  # let the entry animations settle
        found = axe_violations(page)
        if found:
            problems[path] = found
        assert horizontal_overflow(page) == 0, path
        screenshot(page, f"{name}{suffix}")

    context = browser.new_context(viewport=viewport, base_url=server)
    errors = anonymous_errors(context)
    try:
        page = context.new_page()
        for name, path in [("login", "/login/"), ("signup", "/signup/")]:
            page.goto(f"{server}{path}")
            found = axe_violations(page)
            if found:
                problems[path] = found
            assert horizontal_overflow(page) == 0, path
            screenshot(page, f"{name}{suffix}")
    finally:
        context.close()
    assert not problems
    assert not errors


def test_the_axe_check_does_find_a_violation(visit, pablo_and_tito):
    """The check above can fail: an image without a text alternative is reported."""
    _, tito = pablo_and_tito
    page = visit(tito).page
    page.evaluate(
        """() => document.querySelector("main").append(
            Object.assign(document.createElement("img"), {src: "/static/ripple/icon.svg"}))"""
    )

    assert any(line.startswith("image-alt:") for line in axe_violations(page))
