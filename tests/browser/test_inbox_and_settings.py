"""The notifications page, the tray's "All" tab, title count and mute, the settings page, phones, and axe."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

#: Rows for one user, written straight to the demo's database: 25 forum replies, a grade, two alert threads.
SEED = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from platform_notifications.inbox import counts
from platform_notifications.models import Notification
user = get_user_model().objects.get(username=%(username)r)
now = timezone.now()
rows = [
    Notification(user=user, app_name="discussion", notification_type="new_response", content_url="/forum/1/",
                 content_context={"replier_name": "Ben Okafor", "post_title": f"Question {i}"},
                 created=now - timedelta(minutes=30 + i))
    for i in range(25)
]
rows.append(Notification(user=user, app_name="grading", notification_type="ora_grade_assigned", content_url="/grading/",
                         content_context={"ora_name": "Essay 2", "points_earned": 8, "points_possible": 10},
                         created=now - timedelta(minutes=5)))
rows.append(Notification(user=user, app_name="alerts", notification_type="alerts.health_check", level="error",
                         title="payments-api is unreachable", body="Three probes in a row timed out.",
                         thread_key="a" * 40, scope="team:platform", created=now - timedelta(minutes=1)))
rows.append(Notification(user=user, app_name="alerts", notification_type="alerts.health_check", level="warning",
                         title="Disk almost full", body="Volume /data at 91%%", thread_key="b" * 40,
                         created=now - timedelta(minutes=2)))
Notification.objects.bulk_create(rows)
counts.changed(user.pk)
"""
PAGES = ["/notifications/", "/account/notifications/", "/account/settings/"]


def seed(demo, username: str) -> None:
    demo.manage(SEED % {"username": username})


def api(page, path: str = "", **params):
    response = page.request.get("/api/notifications/" + path, params=params or None)
    assert response.ok, response.text()
    return response.json()


#: The contrast ratio (WCAG 2) of an element's text against the first opaque background behind it.
CONTRAST = """(selector) => {
    const element = document.querySelector(selector);
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
    const lum = (c) => { const [r, g, b] = rgb(c).slice(0, 3).map((v) => {
        v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    let node = element, background = "rgb(255, 255, 255)";
    while (node && node.nodeType === 1) {
        const color = getComputedStyle(node).backgroundColor, parts = rgb(color);
        if (parts.length < 4 || parts[3] === 1) { background = color; break; }
        node = node.parentElement;
    }
    const fg = lum(getComputedStyle(element).color), bg = lum(background);
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}"""


def contrast(page, selector: str) -> float:
    return page.evaluate(CONTRAST, selector)


def test_inbox_filters_search_and_paging(clean_slate, demo, login):
    seed(demo, "chloe")
    chloe = login("chloe")
    chloe.goto("/notifications/")
    items = chloe.locator(".inbox-item")
    expect(items).to_have_count(20)
    expect(chloe.locator("#inbox-summary")).to_have_text("28 notifications, 20 a page")
    expect(items.first).to_contain_text("payments-api is unreachable")
    expect(items.first.locator(".inbox-meta")).to_contain_text("Health checks")  # the kind's display name
    expect(chloe.locator("#inbox-page")).to_have_text("Page 1 of 2")
    chloe.get_by_role("link", name="Next page").click()
    expect(items).to_have_count(8)
    expect(chloe.locator("#inbox-page")).to_have_text("Page 2 of 2")

    # Search over the title and the text, then each filter, through the form (the URL keeps them).
    chloe.goto("/notifications/")
    chloe.get_by_label("Search").fill("essay 2")
    chloe.get_by_role("button", name="Apply").click()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("You received 8 of 10 points on Essay 2")
    assert "q=essay+2" in chloe.url
    chloe.get_by_label("Search").fill("")
    chloe.get_by_label("Level").select_option(label="Error")
    chloe.get_by_role("button", name="Apply").click()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("payments-api is unreachable")
    chloe.get_by_label("Level").select_option(label="Any level")
    chloe.get_by_label("App", exact=True).select_option(label="Alerts")
    chloe.get_by_role("button", name="Apply").click()
    expect(items).to_have_count(2)
    chloe.get_by_label("App", exact=True).select_option(label="All apps")
    chloe.get_by_label("Kind").select_option(label="Your grade on an assessment")
    chloe.get_by_role("button", name="Apply").click()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Essay 2")
    # A bad filter is the API's 400, shown on the page.
    chloe.goto("/notifications/?level=loud")
    expect(chloe.locator("#inbox-error")).to_have_text("level must be one of info, warning, error")
    expect(items).to_have_count(0)


def test_inbox_bulk_read_unread_archive(clean_slate, demo, login):
    seed(demo, "chloe")
    chloe = login("chloe")
    chloe.goto("/notifications/?app_name=alerts")
    items = chloe.locator(".inbox-item")
    expect(items).to_have_count(2)
    expect(chloe.locator(".inbox-item.unread")).to_have_count(2)
    # Nothing selected: the buttons say so (and keep the focus) rather than being disabled.
    chloe.get_by_role("button", name="Mark read").click()
    expect(chloe.locator("#inbox-status")).to_have_text("Select one or more notifications first.")
    chloe.get_by_label("Select all on this page").check()
    chloe.get_by_role("button", name="Mark read").click()
    expect(chloe.locator("#inbox-status")).to_have_text("2 notifications marked read.")
    expect(chloe.locator(".inbox-item.unread")).to_have_count(0)
    assert [item["last_read"] is not None for item in api(chloe, app_name="alerts")["results"]] == [True, True]

    chloe.get_by_label("Select: Disk almost full Volume /data at 91%").check()
    chloe.get_by_role("button", name="Mark unread").click()
    expect(chloe.locator("#inbox-status")).to_have_text("1 notification marked unread.")
    expect(chloe.locator(".inbox-item.unread")).to_have_count(1)
    expect(chloe.locator(".inbox-item.unread")).to_contain_text("Disk almost full")

    chloe.get_by_label("Select all on this page").check()
    chloe.get_by_role("button", name="Archive").click()
    expect(chloe.locator("#inbox-status")).to_have_text("2 notifications archived.")
    expect(items).to_have_count(0)
    expect(chloe.locator("#inbox-empty")).to_be_visible()
    assert api(chloe, app_name="alerts")["count"] == 0
    assert api(chloe, app_name="alerts", archived="true")["count"] == 2
    screenshot(chloe, "20-inbox-archived")

    chloe.get_by_label("Archived only").check()
    chloe.get_by_role("button", name="Apply").click()
    expect(items).to_have_count(2)
    chloe.get_by_label("Select: payments-api is unreachable Three probes in a row timed out.").check()
    chloe.get_by_role("button", name="Move back to inbox").click()
    expect(chloe.locator("#inbox-status")).to_have_text("1 notification moved back to the inbox.")
    expect(items).to_have_count(1)
    assert [item["title"] for item in api(chloe, app_name="alerts")["results"]] == ["payments-api is unreachable"]


def test_tray_all_tab_title_count_escape_and_mute(clean_slate, demo, login):
    seed(demo, "chloe")
    chloe = login("chloe")
    # The unseen count leads the page title.
    expect(chloe).to_have_title(re.compile(r"^\(28\) Forum · Notifications 101$"), timeout=20_000)
    bell = chloe.locator("#pn-bell-button")
    bell.focus()
    chloe.keyboard.press("Enter")
    tray = chloe.locator("#pn-tray")
    expect(tray).to_be_visible()
    tabs = chloe.get_by_role("tab")
    expect(tabs.first).to_have_accessible_name("All, 28 new")
    expect(tabs).to_have_text(["All28", "Discussion25", "Updates", "Grading1", "Alerts2", "Approvals", "Forum"])
    # It opens on "All": the newest activity of every app, never an empty tab.
    expect(tabs.first).to_have_attribute("aria-selected", "true")
    expect(tabs.first).to_be_focused()
    expect(chloe.locator(".pn-item").first).to_contain_text("payments-api is unreachable")
    expect(chloe.locator(".pn-item").nth(2)).to_contain_text("You received 8 of 10 points on Essay 2")
    # Opening marks everything seen: the title loses its count.
    expect(chloe).to_have_title("Forum · Notifications 101", timeout=10_000)

    # "Mark all as read" is readable: at least 4.5:1 against the tray.
    ratio = contrast(chloe, "#pn-mark-all")
    assert ratio >= 4.5, ratio

    # Mute the failing check's thread: the button keeps the focus, the item says it is muted, the API agrees.
    alert = chloe.locator(".pn-item").first
    mute = alert.get_by_role("button", name="Mute this thread")
    mute.focus()
    chloe.keyboard.press("Enter")
    expect(alert.get_by_role("button", name="Unmute this thread")).to_be_focused()
    expect(alert.get_by_role("button", name="Unmute this thread")).to_have_attribute("aria-pressed", "true")
    expect(alert.locator(".pn-muted-tag")).to_have_text(" · Muted")
    assert api(chloe, app_name="alerts")["results"][0]["muted"] is True
    screenshot(chloe, "21-tray-muted")
    chloe.keyboard.press("Enter")
    expect(alert.get_by_role("button", name="Mute this thread")).to_be_focused()
    expect(alert.locator(".pn-muted-tag")).to_have_count(0)
    assert api(chloe, app_name="alerts")["results"][0]["muted"] is False
    # A row without a thread offers no mute.
    expect(chloe.locator(".pn-item").nth(2).locator(".pn-mute")).to_have_count(0)

    # "Mark all as read" on "All" reads every app.
    chloe.get_by_role("button", name="Mark all as read").click()
    expect(chloe.locator(".pn-item.unread")).to_have_count(0)
    assert api(chloe, "unread-count/")["count"] == 0
    # Escape closes from anywhere in the tray and gives the focus back to the bell.
    chloe.get_by_role("tab", name="Grading").click()
    chloe.keyboard.press("Escape")
    expect(tray).to_be_hidden()
    expect(bell).to_be_focused()
    expect(bell).to_have_attribute("aria-expanded", "false")
    # Reopened: "All" again.
    chloe.keyboard.press("Enter")
    expect(chloe.get_by_role("tab", name=re.compile("^All"))).to_have_attribute("aria-selected", "true")
    expect(chloe.get_by_role("link", name="View all notifications")).to_have_attribute("href", "/notifications/")


def test_settings_page_saves_and_shows_errors(clean_slate, login):
    ana = login("ana")
    ana.goto("/account/notifications/")
    ana.get_by_role("link", name="notification settings").click()
    ana.wait_for_url("**/account/settings/")
    status, error = ana.locator("#settings-status"), ana.locator("#settings-error")

    email_level = ana.get_by_label("By email")
    expect(email_level).to_have_value("INFO")
    email_level.focus()
    email_level.select_option("WARNING")
    expect(status).to_have_text("Saved: minimum level by email Warning and above")
    expect(status).to_be_visible()
    expect(email_level).to_be_focused()
    assert api(ana, "user-settings/")["email_min_level"] == "WARNING"

    ana.get_by_role("combobox", name="Do not disturb").select_option("8h")
    expect(status).to_have_text("Saved: do not disturb on")
    expect(ana.locator("#set-dnd-until")).to_contain_text("On until ")
    until = api(ana, "user-settings/")["do_not_disturb_until"]
    assert until is not None
    ana.get_by_role("button", name="End do-not-disturb now").click()
    expect(status).to_have_text("Saved: do not disturb off")
    expect(ana.locator("#set-dnd-until")).to_have_text("Off.")
    expect(ana.get_by_role("combobox", name="Do not disturb")).to_be_focused()
    ana.get_by_role("combobox", name="Do not disturb").select_option("forever")
    expect(ana.locator("#set-dnd-until")).to_have_text("On until you turn it off.")
    assert api(ana, "user-settings/")["do_not_disturb"] == "forever"

    ana.get_by_label("From").fill("22:00")
    ana.get_by_label("Until").fill("07:00")
    ana.get_by_role("button", name="Save quiet hours").click()
    expect(status).to_have_text("Saved: quiet hours 22:00 to 07:00")
    # A bad value: the API's field error is shown and nothing changes.
    ana.get_by_label("Until").fill("22:00")
    ana.get_by_role("button", name="Save quiet hours").click()
    expect(error).to_have_text("Quiet hours end: the end must differ from the start")
    expect(ana.get_by_label("Until")).to_have_value("07:00")
    stored = api(ana, "user-settings/")
    assert (stored["quiet_hours_start"], stored["quiet_hours_end"]) == ("22:00", "07:00")

    zone = ana.get_by_label("Time zone (for example Europe/Paris)")
    zone.fill("Mars/Olympus_Mons")
    zone.press("Enter")
    expect(error).to_have_text("Time zone: unknown time zone 'Mars/Olympus_Mons' (an IANA name)")
    assert api(ana, "user-settings/")["timezone"] == ""
    zone.fill("Europe/Lisbon")
    ana.get_by_role("button", name="Save time zone").click()
    expect(status).to_have_text("Saved: time zone Europe/Lisbon")
    expect(error).to_be_hidden()
    assert api(ana, "user-settings/")["timezone"] == "Europe/Lisbon"
    screenshot(ana, "22-settings")
    ana.reload()
    expect(ana.get_by_label("By email")).to_have_value("WARNING")
    expect(ana.get_by_label("From")).to_have_value("22:00")


def test_preferences_say_saved_and_keep_the_focus(clean_slate, login):
    ana = login("ana")
    ana.goto("/account/notifications/")
    expect(ana.locator("#pn-cadence-help")).to_contain_text(
        "notifications that arrive within a few minutes of each other (up to 15 minutes) are grouped into one email"
    )
    # Display names from the configuration, never raw type names.
    expect(ana.get_by_role("switch", name="Web for Your grade on an assessment")).to_be_visible()
    expect(ana.locator("#pn-preferences")).not_to_contain_text("Ora grade assigned")
    expect(ana.locator("#pn-preferences")).not_to_contain_text("New instructor all learners post")
    web = ana.get_by_role("switch", name="Web for Course updates")
    web.focus()
    ana.keyboard.press("Space")
    status = ana.locator("#pn-pref-status")
    expect(status).to_have_text("Saved: Web off for Course updates")
    expect(status).to_be_visible()
    expect(web).to_be_focused()
    cadence = ana.locator("#pref-updates-course_updates-cadence")
    cadence.focus()
    cadence.select_option("Immediately")
    expect(status).to_have_text("Saved: email cadence Immediately for Course updates")
    expect(cadence).to_be_focused()
    assert cadence.get_attribute("aria-describedby") == "pn-cadence-help"


@pytest.mark.parametrize("path", ["tray", *PAGES])
def test_fits_a_375_px_screen(clean_slate, demo, login, path):
    seed(demo, "ana")
    page = login("ana", phone=True)
    if path == "tray":
        expect(page.locator("#pn-badge")).to_have_text("28", timeout=20_000)
        page.locator("#pn-bell-button").click()
        expect(page.locator(".pn-item").first).to_be_visible()
        box = page.locator("#pn-tray").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    else:
        page.goto(path)
        page.wait_for_function("!document.querySelector('[aria-busy=true]')")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    screenshot(page, "23-phone-" + (path.strip("/").replace("/", "-") or "tray"))
    assert width <= 375, f"{path} is {width} px wide at 375 px"


@pytest.mark.parametrize("path", ["tray", *PAGES])
def test_axe_finds_no_serious_violation(clean_slate, demo, login, path):
    from axe_playwright_python.sync_playwright import Axe

    seed(demo, "ana")
    ana = login("ana")
    if path == "tray":
        expect(ana.locator("#pn-badge")).to_have_text("28", timeout=20_000)
        ana.locator("#pn-bell-button").click()
        expect(ana.locator(".pn-item").first).to_be_visible()
    else:
        ana.goto(path)
        ana.wait_for_function("!document.querySelector('[aria-busy=true]')")
    results = Axe().run(ana)
    serious = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, indent=1)
    # Where axe cannot tell the background (the tray lies over the page), measure the contrast directly.
    unsure = [n["target"][0] for v in results.response["incomplete"] if v["id"] == "color-contrast" for n in v["nodes"]]
    low = {target: ratio for target in unsure if (ratio := contrast(ana, target)) < 4.5}
    assert low == {}, low
    # The scan did run: it checked rules and found the page's elements.
    assert len(results.response["passes"]) > 10
