"""The non-course area: a health check failing and recovering as one thread, an approval to a narrowed group, and
a followed forum post."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def open_tab(page, name: str):
    page.locator("#pn-bell-button").click()
    expect(page.locator("#pn-tray")).to_be_visible()
    page.get_by_role("tab", name=name).click()
    return page.locator(".pn-item")


def test_health_check_thread_levels_chips_and_occurrences(clean_slate, login):
    sam = login("sam")
    sam.goto("/alerts/")
    sam.locator("#check-down").click()
    expect(sam.get_by_text("Health check reported down.")).to_be_visible()
    chloe = login("chloe")
    expect(chloe.locator("#pn-badge")).to_have_text("1", timeout=20_000)
    items = open_tab(chloe, "Alerts")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("payments-api is unreachable")
    expect(items.first.locator(".pn-level-error")).to_have_text("Error")
    expect(items.first.locator(".pn-chip")).to_have_text(["Status", "Runbook"])
    # Read it, then the check recovers: the same row comes back unread, INFO, with two occurrences.
    chloe.evaluate("window.pnApi.send('POST', '/api/notifications/mark-all-read/', {})")
    sam.locator("#check-up").click()
    chloe.reload()
    expect(chloe.locator("#pn-badge")).to_have_text("1", timeout=20_000)
    items = open_tab(chloe, "Alerts")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("payments-api recovered")
    expect(items.first).to_contain_text("2 occurrences")
    expect(items.first.locator(".pn-level")).to_have_count(0)
    expect(items.first).to_have_class("pn-item unread")
    screenshot(chloe, "kinds-01-thread")


def test_approval_reaches_only_permitted_finance_members(clean_slate, login):
    sam = login("sam")
    sam.goto("/approvals/")
    sam.get_by_label("Purchase order").fill("PO-<b>7</b>")
    sam.locator("#request-approval").click()
    expect(sam.get_by_text("Approval of PO-<b>7</b> requested.")).to_be_visible()
    ana = login("ana")
    expect(ana.locator("#pn-badge")).to_have_text("1", timeout=20_000)
    items = open_tab(ana, "Approvals")
    # Shown as text, never as markup.
    expect(items.first).to_contain_text("PO-<b>7</b> waits for your approval")
    expect(items.first.locator("b")).to_have_count(0)
    expect(items.first.locator(".pn-chip")).to_have_attribute("href", "/approvals/")
    ben = login("ben")  # in finance, without the permission
    ben.wait_for_timeout(2_000)
    counts = ben.evaluate("window.pnApi.get('/api/notifications/unread-count/')")
    assert counts == {"count": 0}
    screenshot(ana, "kinds-02-approval")


def test_followers_of_a_forum_post(clean_slate, login):
    chloe = login("chloe")
    chloe.get_by_role("link", name="Introduce yourself").click()
    chloe.locator("#follow-post").click()
    expect(chloe.locator("#follow-post")).to_have_text("Unfollow this post")
    ana = login("ana")
    ana.get_by_role("link", name="Introduce yourself").click()
    ana.get_by_label("Your reply").fill("Followers get this one.")
    ana.get_by_role("button", name="Reply").click()
    expect(chloe.locator("#pn-badge")).to_have_text("1", timeout=20_000)
    items = open_tab(chloe, "Forum")
    expect(items.first).to_contain_text("Ana Silva replied in “Introduce yourself”")
    screenshot(chloe, "kinds-03-follow")
