"""Live updates in the browser: the tray listens on the stream, and another process's notification shows at once."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

# Run in the demo's own Django by another process: the row, its live event and the Redis-less wake-up are all its
# own (the web server only reads the shared log), as with a Celery worker.
CREATE = """
from django.contrib.auth import get_user_model
from platform_notifications import service
ben = get_user_model().objects.get(username="ben")
row = service.notify(ben, "alerts.health_check", title="{title}", body="Disk 91% full", level=service.Level.WARNING)
print(row.pk)
"""


def test_a_notification_from_another_process_appears_in_the_open_tray_within_two_seconds(clean_slate, login, demo):
    page = login("ben")
    polls = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/count/") else None)
    with page.expect_response(lambda r: r.url.endswith("/api/notifications/stream/")) as opened:
        page.reload()
    assert opened.value.status == 200
    assert opened.value.headers["content-type"] == "text/event-stream"
    page.evaluate("window.__noReload = 'still here'")
    expect(page.locator("#pn-bell")).to_be_visible()  # the stream's first counts event showed the bell
    page.locator("#pn-bell-button").click()
    expect(page.locator("#pn-tray")).to_be_visible()
    page.get_by_role("tab", name="Alerts").click()
    # Listening, not polling: a quiet stretch longer than the poll interval (3 s) asks count/ nothing.
    polls.clear()
    page.wait_for_timeout(3_500)
    assert polls == []

    pk = int(demo.manage(CREATE.format(title="API is slow")).split()[-1])
    created = time.monotonic()
    item = page.locator(f'.pn-item[data-id="{pk}"]')
    expect(item).to_contain_text("API is slow", timeout=2_000)
    elapsed = time.monotonic() - created
    assert elapsed < 2.0
    assert page.evaluate("window.__noReload") == "still here"
    screenshot(page, "live-01-pushed-into-open-tray")

    # A second tab's bell follows the first: a new notification raises it, opening the first tray lowers it.
    page.locator("#pn-close").click()
    other = page.context.new_page()
    other.goto("/forum/")
    expect(other.locator("#pn-bell")).to_be_visible()
    expect(other.locator("#pn-badge")).to_be_hidden()  # opening the first tray marked the alerts seen
    demo.manage(CREATE.format(title="Queue is backing up"))
    expect(other.locator("#pn-badge")).to_have_text("1", timeout=2_000)
    page.locator("#pn-bell-button").click()
    expect(page.locator(".pn-item", has_text="Queue is backing up")).to_be_visible()
    expect(other.locator("#pn-badge")).to_be_hidden(timeout=2_000)
