"""Keyboard-only use of the tray and the preferences matrix."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has focus (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never received focus with Tab")


def test_tray_with_keyboard_only(clean_slate, login):
    sam = login("sam")
    sam.get_by_role("link", name="Updates").click()
    sam.get_by_role("textbox", name="Update").fill("Week 2 is open: read chapter 3 before Friday.")
    sam.get_by_role("button", name="Publish to all learners").click()
    expect(sam.get_by_text("Week 2 is open")).to_be_visible()

    chloe = login("chloe")
    expect(chloe.locator("#pn-badge")).to_have_text("1", timeout=20_000)
    tab_to(chloe, "#pn-bell-button")
    chloe.keyboard.press("Enter")
    expect(chloe.locator("#pn-tray")).to_be_visible()
    expect(chloe.locator("#pn-bell-button")).to_have_attribute("aria-expanded", "true")
    # Focus lands on the selected tab, "All" (it opens there); arrows move between tabs (roving tabindex).
    all_tab = chloe.get_by_role("tab", name=re.compile("^All"))
    expect(all_tab).to_be_focused()
    chloe.keyboard.press("ArrowRight")
    discussion = chloe.get_by_role("tab", name="Discussion")
    expect(discussion).to_be_focused()
    chloe.keyboard.press("ArrowRight")
    updates = chloe.get_by_role("tab", name="Updates")
    expect(updates).to_be_focused()
    expect(updates).to_have_attribute("aria-selected", "true")
    expect(all_tab).to_have_attribute("tabindex", "-1")
    item = chloe.locator(".pn-item").first
    expect(item).to_contain_text("Course update: Week 2 is open")
    chloe.keyboard.press("End")
    # The last tab: the demo's non-course apps follow the course ones (discussion, updates, grading).
    expect(chloe.get_by_role("tab", name="Forum")).to_be_focused()
    chloe.keyboard.press("ArrowLeft")
    expect(chloe.get_by_role("tab", name="Approvals")).to_be_focused()
    chloe.keyboard.press("Home")
    expect(all_tab).to_be_focused()
    chloe.keyboard.press("ArrowRight")
    chloe.keyboard.press("ArrowRight")
    expect(updates).to_be_focused()
    chloe.keyboard.press("ArrowDown")
    expect(item.locator("a")).to_be_focused()
    screenshot(chloe, "05-keyboard-tray")
    # Escape closes the tray and gives focus back to the bell.
    chloe.keyboard.press("Escape")
    expect(chloe.locator("#pn-tray")).to_be_hidden()
    expect(chloe.locator("#pn-bell-button")).to_be_focused()
    # Enter reopens it, on "All" again; Enter on an item marks it read and follows its link.
    chloe.keyboard.press("Enter")
    expect(all_tab).to_be_focused()
    chloe.keyboard.press("ArrowDown")
    expect(item.locator("a")).to_be_focused()
    chloe.keyboard.press("Enter")
    chloe.wait_for_url("**/updates/#update-*")
    data = chloe.request.get("/api/notifications/?app_name=updates").json()
    assert data["results"][0]["last_read"] is not None


def test_matrix_with_keyboard_only(clean_slate, login):
    chloe = login("chloe")
    chloe.goto("/account/notifications/")
    web = chloe.get_by_role("switch", name="Web for Course updates")
    expect(web).to_be_checked()
    tab_to(chloe, "#pref-updates-course_updates-web")
    chloe.keyboard.press("Space")
    expect(chloe.locator("#pn-pref-status")).to_have_text("Saved: Web off for Course updates")
    expect(web).not_to_be_checked()
    # Tab skips nothing editable and reaches the cadence select; arrows change it and it is saved.
    tab_to(chloe, "#pref-updates-course_updates-cadence")
    chloe.keyboard.press("ArrowDown")
    expect(chloe.locator("#pn-pref-status")).to_have_text("Saved: email cadence Weekly for Course updates")
    screenshot(chloe, "06-keyboard-matrix")
    chloe.reload()
    expect(chloe.get_by_role("switch", name="Web for Course updates")).not_to_be_checked()
    expect(chloe.locator("#pref-updates-course_updates-cadence")).to_have_value("Weekly")
