"""The post form says how long a post may be, and focus never falls to the page body."""

import re

import pytest
from playwright.sync_api import expect

from apps.posts.models import Post
from tests.web.conftest import post_as

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _focused_id(page) -> str:
    return page.evaluate("document.activeElement?.id || document.activeElement?.tagName")


def test_a_10000_character_paste_is_kept_counted_and_refused_with_a_message(visit, pablo_and_tito):
    pablo, _ = pablo_and_tito
    page = visit(pablo).page
    box = page.get_by_label("What's on your mind?")

    box.fill("a" * 10_000)

    assert box.evaluate("element => element.value.length") == 10_000
    counter = page.locator("#content-count")
    expect(counter).to_contain_text("5,000 characters too many")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#content-error")).to_have_text(
        "A post can have at most 5,000 characters; this one has 10,000."
    )
    assert _focused_id(page) == "post-content"
    assert not Post.objects.exists()

    box.fill("Short enough")
    expect(counter).to_have_text("12 / 5,000")
    expect(page.locator("#content-error")).to_have_text("")


def test_focus_stays_on_the_page_after_post_load_more_and_dismiss(visit, server, pablo_and_tito):
    pablo, tito = pablo_and_tito
    for number in range(21):
        post_as(server, pablo, f"Post number {number}")
    b = visit(tito)
    page = b.page

    page.get_by_label("What's on your mind?").fill("From the keyboard")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#feed > li").first).to_contain_text("From the keyboard")
    assert _focused_id(page) == "post-content"

    page.get_by_role("button", name="Load more").click()
    expect(page.locator("#feed > li")).to_have_count(22)
    assert _focused_id(page) != "BODY"

    page = b.open("/inbox/")
    page.get_by_role("button", name="Load more").click()
    expect(page.locator("#inbox-list > li")).to_have_count(21)
    assert _focused_id(page) != "BODY"
    page.locator("#inbox-list > li").first.get_by_role("button", name=re.compile("^Done")).click()
    expect(page.locator("#inbox-list > li")).to_have_count(20)
    assert _focused_id(page) != "BODY"
