"""Email through the real worker: an immediate email reaches the outbox page; the digest preview and timezone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def reply_as(page, title: str, text: str) -> None:
    page.goto("/forum/")
    page.get_by_role("link", name=title).click()
    page.get_by_label("Your reply").fill(text)
    page.get_by_role("button", name="Reply").click()
    expect(page.get_by_text(text)).to_be_visible()


def test_immediate_email_reaches_the_outbox(clean_slate, login):
    ben = login("ben")
    ben.goto("/account/notifications/")
    ben.locator("#pref-discussion-grouped_notification-cadence").select_option("Immediately")
    expect(ben.locator("#pn-pref-status")).to_have_text(
        "Saved: email cadence Immediately for All other discussion activity"
    )
    reply_as(login("ana"), "Introduce yourself", "Ana again: welcome to the course!")
    ben.goto("/outbox/")
    mail = ben.locator("article.mail").first
    for _ in range(40):  # the worker fans out, then sends; the page is server-rendered, so reload
        if mail.count():
            break
        ben.wait_for_timeout(500)
        ben.reload()
    expect(mail).to_contain_text("ben@example.com")
    frame = ben.frame_locator("article.mail iframe").first
    expect(frame.locator("body")).to_contain_text("Ana Silva replied to your post Introduce yourself")
    # No scripts, forms or same-origin access inside the frame; links open in a new tab that escapes the sandbox.
    assert mail.locator("iframe").get_attribute("sandbox") == "allow-popups allow-popups-to-escape-sandbox"
    screenshot(ben, "07-outbox")
    with ben.context.expect_page() as opened:
        frame.get_by_role("link", name="Unsubscribe", exact=True).click()
    unsubscribe = opened.value
    expect(unsubscribe.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    expect(unsubscribe.locator("body")).to_contain_text("Someone replied to your post")
    expect(unsubscribe.locator("body")).to_contain_text("The notifications themselves still appear on the site")
    # Outside the sandbox the page's form works.
    unsubscribe.get_by_role("button", name="Unsubscribe").click()
    expect(unsubscribe.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    data = ben.request.get("/api/notifications/v3/configurations/").json()["data"]
    assert data["discussion"]["notification_types"]["grouped_notification"]["email"] is False
    unsubscribe.close()


def test_digest_preview_in_the_users_timezone(clean_slate, login):
    reply_as(login("chloe"), "Introduce yourself", "Chloé says hi from Lyon.")
    ben = login("ben")
    ben.goto("/account/digest/")
    daily = ben.locator("section.digest", has=ben.get_by_role("heading", name="Daily digest"))
    for _ in range(40):  # wait for the worker to fan the reply out
        if "1 notification waiting" in daily.inner_text():
            break
        ben.wait_for_timeout(500)
        ben.reload()
    expect(daily).to_contain_text("1 notification waiting")
    expect(daily).to_contain_text("Chloé Martin replied to your post Introduce yourself")
    expect(daily).to_contain_text("scheduled")
    ben.get_by_label("Your timezone").select_option("Asia/Tokyo")
    ben.get_by_role("button", name="Save timezone").click()
    expect(ben.locator("#digest-zone")).to_have_text("Asia/Tokyo")
    weekly = ben.locator("section.digest", has=ben.get_by_role("heading", name="Weekly digest"))
    # The next weekly slot is the configured clock (17:00 by default) in the user's own zone.
    expect(weekly.locator("time.delivery")).to_contain_text("17:00 JST")
    assert weekly.locator("time.delivery").get_attribute("datetime").endswith("+09:00")
    screenshot(ben, "08-digest")
