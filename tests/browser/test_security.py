"""Security of the demo pages: sanitised tray content, staff-only actions, private outboxes, CSRF."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SANITIZE = """(html) => {
  const box = document.createElement('div');
  box.appendChild(window.pnSanitize(html));
  return box.innerHTML;
}"""


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p><strong>Ana</strong> replied</p>", "<p><strong>Ana</strong> replied</p>"),
        ('<p onclick="x()" class="c">hi</p>', "<p>hi</p>"),
        ("<img src=x onerror=alert(1)>ok", "ok"),
        ("<script>alert(1)</script>text", "text"),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="java\tscript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="data:text/html,hi">x</a>', "<a>x</a>"),
        ('<a href="//evil.example/">x</a>', '<a href="//evil.example/">x</a>'),
        ('<a href="/forum/1/" target="_blank" style="x">x</a>', '<a href="/forum/1/">x</a>'),
        ('<a href="https://example.org/a">x</a>', '<a href="https://example.org/a">x</a>'),
        ("<div><em>a</em><svg><text>b</text></svg><i>c</i><b>d</b><br></div>", "<em>a</em><i>c</i><b>d</b><br>"),
        ("<iframe srcdoc='<script>1</script>'></iframe><style>*{}</style>z", "z"),
    ],
)
def test_tray_sanitiser(login, html, expected):
    page = login("ana")
    assert page.evaluate(SANITIZE, html) == expected


def test_hostile_post_title_is_inert_in_tray(clean_slate, login):
    ana = login("ana")
    ana.get_by_label("Title").fill('<img src=x onerror="window.__pwned=1">Hi <b>all</b>')
    ana.get_by_label("Body").fill("A question about week 1.")
    ana.get_by_role("button", name="Post").click()
    ana.wait_for_url("**/forum/*/")
    ben = login("ben")
    ben.get_by_role("link", name="Hi <b>all</b>").click()
    ben.get_by_label("Your reply").fill("Welcome!")
    ben.get_by_role("button", name="Reply").click()
    expect(ana.locator("#pn-badge")).not_to_be_hidden(timeout=20_000)
    ana.locator("#pn-bell-button").click()
    item = ana.locator(".pn-item").first
    expect(item).to_contain_text('<img src=x onerror="window.__pwned=1">Hi <b>all</b>')
    assert item.locator("img, b").count() == 0
    assert ana.evaluate("window.__pwned") is None


def test_staff_actions_are_refused_to_learners(login):
    ana = login("ana")
    token = ana.locator('meta[name="csrf-token"]').get_attribute("content")
    headers = {"X-CSRFToken": token, "Referer": ana.url}
    update = ana.request.post("/updates/", form={"text": "fake update"}, headers=headers)
    assert update.status == 403
    grade = ana.request.post("/grading/", form={"assignment": "x", "points_earned": 1}, headers=headers)
    assert grade.status == 403
    # The form offers no "announce" box to learners, and a forged one is refused.
    expect(ana.get_by_label("Announce to all learners (course staff only)")).to_have_count(0)
    forged = ana.request.post(
        "/forum/", form={"title": "t", "body": "b", "to_all_learners": "on"}, headers=headers, max_redirects=0
    )
    assert forged.status == 200 and "Only course staff can announce" in forged.text()


def test_api_refuses_unsafe_methods_without_csrf_token(login):
    ana = login("ana")
    response = ana.request.patch("/api/notifications/read/", data={"app_name": "discussion"})
    assert response.status == 403


def test_learner_outbox_shows_only_their_mail(login, demo):
    outbox = demo.var_dir / "outbox"
    outbox.mkdir(exist_ok=True)
    separator = "\n" + "-" * 79 + "\n"
    mails = [
        "Subject: For Ana\nFrom: n@localhost\nTo: ana@example.com\nContent-Type: text/plain\n\nHello Ana",
        "Subject: For Ben\nFrom: n@localhost\nTo: ben@example.com\nContent-Type: text/plain\n\nHello Ben",
    ]
    (outbox / "20260101-000000-test.log").write_text(separator.join(mails) + separator)
    ana = login("ana")
    ana.goto("/outbox/")
    expect(ana.get_by_role("heading", name="For Ana")).to_be_visible()
    expect(ana.get_by_role("heading", name="For Ben")).to_have_count(0)
    sam = login("sam")
    sam.goto("/outbox/")
    expect(sam.get_by_role("heading", name="For Ben")).to_be_visible()
