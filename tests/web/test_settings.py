"""The notification settings page: preferences saved through the API, and muting people."""

import pytest
from playwright.sync_api import expect

from tests.web.conftest import post_from, screenshot

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
]


def test_muted_friend_posts_give_no_toast_and_no_inbox_entry_until_unmuted(visit, pablo_and_tito):
    pablo, tito = pablo_and_tito
    a, b = visit(pablo), visit(tito, path="/settings/notifications/")
    page = b.page
    page.set_viewport_size({"width": 1100, "height": 1000})

    page.get_by_label("Username").fill("pablo")
    page.get_by_role("button", name="Mute", exact=True).click()
    expect(page.locator("#mute-status")).to_contain_text("Muted pablo")
    expect(page.locator("#muted-list")).to_contain_text("pablo")

    post_from(a, "Nobody hears this one")
    page.reload()
    expect(page.locator("#muted-list")).to_contain_text("pablo")
    page.evaluate("scrollTo(0, 0)")
    screenshot(page, "settings")
    page.get_by_role("button", name="Unmute pablo").click()
    expect(page.locator("#muted-list li")).to_have_count(0)
    expect(page.locator("#mute-status")).to_contain_text("Unmuted pablo")

    # Frames arrive in order: had the muted post made a notification, it would come first.
    post_from(a, "Everyone hears this one")
    toast = page.locator("#toasts .toast")
    expect(toast).to_have_count(1, timeout=2000)
    expect(toast).to_contain_text("pablo posted something")
    expect(toast).to_contain_text("Everyone hears this one")
    expect(page.locator("#unread-badge")).to_have_text("1")

    inbox = b.open("/inbox/")
    expect(inbox.locator("#inbox-list > li")).to_have_count(1)
    expect(inbox.locator("#inbox-list")).not_to_contain_text("Nobody hears this one")


def test_preferences_form_saves_through_the_api_and_shows_field_errors(visit, pablo_and_tito):
    b = visit(pablo_and_tito[1], path="/settings/notifications/")
    page = b.page
    page.get_by_label("New post: show live").uncheck()
    page.get_by_label("Question").check()
    page.get_by_label("Batch window (seconds)").fill("120")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#save-status")).to_have_text("Settings saved.")

    page.reload()
    expect(page.get_by_label("New post: show live")).not_to_be_checked()
    expect(page.get_by_label("New post: keep in the inbox")).to_be_checked()
    expect(page.get_by_label("Question")).to_be_checked()
    expect(page.get_by_label("Milestone")).not_to_be_checked()
    expect(page.get_by_label("Batch window (seconds)")).to_have_value("120")

    b.allow_console_error(r"status of 400")
    page.get_by_label("Batch window (seconds)").fill("-5")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#save-status")).to_have_text("Please fix the highlighted fields.")
    expect(page.locator("#batch-error")).not_to_be_empty()
    expect(page.get_by_label("Batch window (seconds)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Batch window (seconds)")).to_be_focused()


def test_digest_section_saves_frequency_hour_and_time_zone(visit, pablo_and_tito):
    from apps.digests.models import DigestSettings
    from apps.notifications.models import NotificationPreference

    tito = pablo_and_tito[1]
    b = visit(tito, path="/settings/notifications/")
    page = b.page
    expect(page.get_by_label("How often")).to_have_value("daily")
    expect(page.get_by_label("Day (weekly)")).to_be_hidden()
    page.get_by_label("How often").select_option("weekly")
    page.get_by_label("Day (weekly)").select_option("Friday")
    page.get_by_label("Hour of the day").select_option("07:00")
    # Quiet hours have a time zone of their own on this page.
    digest = page.locator("#digest-form")
    digest.get_by_label("Time zone").select_option("Europe/Madrid")
    page.get_by_role("button", name="Save digest settings").click()
    expect(page.locator("#digest-status")).to_have_text("Digest settings saved.")
    page.get_by_label("Post liked: include in the email digest").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#save-status")).to_have_text("Settings saved.")

    page.reload()
    expect(page.get_by_label("How often")).to_have_value("weekly")
    expect(digest.get_by_label("Time zone")).to_have_value("Europe/Madrid")
    expect(page.get_by_label("Post liked: include in the email digest")).to_be_checked()
    chosen = DigestSettings.objects.get(user=tito)
    assert (chosen.frequency, chosen.weekday, chosen.hour) == ("weekly", 4, 7)
    assert chosen.time_zone == "Europe/Madrid"
    assert NotificationPreference.objects.get(user=tito).post_liked_email
