"""The main story: a learner replies, the post's author sees the bell rise live, reads it, changes a preference."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_reply_bell_tray_read_and_preference(clean_slate, login):
    ben = login("ben")
    # A marker on the window: if the page reloads, it disappears.
    ben.evaluate("window.__noReload = 'still here'")
    badge = ben.locator("#pn-badge")
    expect(ben.locator("#pn-bell")).to_be_visible()
    expect(badge).to_be_hidden()

    ana = login("ana")
    ana.get_by_role("link", name="Introduce yourself").click()
    ana.get_by_label("Your reply").fill("Hello Ben, Ana here, from Lisbon.")
    ana.get_by_role("button", name="Reply").click()
    expect(ana.get_by_text("Hello Ben, Ana here, from Lisbon.")).to_be_visible()

    # The worker fans the reply out; Ben's bell polls the count and rises without a reload.
    expect(badge).to_have_text("1", timeout=20_000)
    expect(ben.locator("#pn-bell-button")).to_have_attribute("aria-label", "Notifications, 1 new notification")
    expect(ben.locator("#pn-live")).to_have_text("1 new notification")
    assert ben.evaluate("window.__noReload") == "still here"
    screenshot(ben, "01-bell-count-rose")

    ben.locator("#pn-bell-button").click()
    tray = ben.locator("#pn-tray")
    expect(tray).to_be_visible()
    # It opens on "All", the newest activity of every app.
    expect(ben.get_by_role("tab", name=re.compile("^All"))).to_have_attribute("aria-selected", "true")
    item = ben.locator(".pn-item").first
    expect(item).to_have_class("pn-item unread")
    expect(item).to_contain_text("Ana Silva replied to your post Introduce yourself")
    expect(item).to_contain_text("Notifications 101")
    # Opening the tray marks the tab seen: the badge goes away, the item stays unread.
    expect(badge).to_be_hidden(timeout=10_000)
    screenshot(ben, "02-tray-open")

    with ben.expect_response(lambda r: r.url.endswith("/api/notifications/read/") and r.request.method == "PATCH") as r:
        item.locator("a").click()
    assert r.value.status == 200
    assert json.loads(r.value.request.post_data) == {"notification_id": int(item.get_attribute("data-id"))}
    ben.wait_for_url("**/forum/*/")
    ben.locator("#pn-bell-button").click()
    expect(ben.locator(".pn-item").first).to_have_class("pn-item")
    expect(ben.locator(".pn-item.unread")).to_have_count(0)
    screenshot(ben, "03-read")

    ben.goto("/account/notifications/")
    email = ben.get_by_role("switch", name="Email for All other discussion activity")
    expect(email).to_be_checked()
    email.uncheck()
    expect(ben.locator("#pn-pref-status")).to_have_text("Saved: Email off for All other discussion activity")
    screenshot(ben, "04-preferences-email-off")
    ben.reload()
    expect(ben.get_by_role("switch", name="Email for All other discussion activity")).not_to_be_checked()
    # The server agrees, and the other rows were left alone.
    data = ben.request.get("/api/notifications/v3/configurations/").json()["data"]
    assert data["discussion"]["notification_types"]["grouped_notification"]["email"] is False
    assert data["updates"]["notification_types"]["course_updates"]["email"] is True
    expect(ben.get_by_role("switch", name="Web for All other discussion activity")).to_be_checked()


def test_replies_to_one_post_are_grouped_in_the_tray(clean_slate, login):
    for replier, text in (("ana", "First!"), ("chloe", "Second!")):
        page = login(replier)
        page.get_by_role("link", name="Introduce yourself").click()
        page.get_by_label("Your reply").fill(text)
        page.get_by_role("button", name="Reply").click()
        expect(page.get_by_text(text)).to_be_visible()
    ben = login("ben")
    ben.locator("#pn-bell-button").click()
    item = ben.locator(".pn-item")
    expect(item.first).to_contain_text("replied to your post Introduce yourself", timeout=20_000)
    expect(item.first).to_contain_text("Chloé Martin and 1 other replied", timeout=20_000)
    expect(item).to_have_count(1)
