"""The real Open edX front-end packages in Chromium against the standalone server.

The tray: the data layer of ``@edx/frontend-plugin-notifications`` 2.0.11 (its own ``data/api.js``, unmodified)
on ``@edx/frontend-platform`` 8.7.1, which signs in by ``POST /login_refresh``, reads the JWT cookie pair, fetches
``/csrf/api/v1/token`` and sends ``USE-JWT-COOKIE`` and ``X-CSRFToken``, as on an Open edX site. The session
cookie is dropped after the refresh, so every tray call is authenticated by the JWT alone.

The account page: ``@edx/frontend-app-account`` is not published to npm (the registry answers 404), so it cannot
be installed here. Its preferences calls are a REPLAY: the requests its ``data/api.js`` and ``data/hooks.js`` build
(one change per PUT, the cadence it holds sent with every toggle, the cadence re-sent after email is switched on),
sent through the real platform library's authenticated client.

Bundled by ``tests/browser/frontend/build.sh`` (npm ci from the committed lock file, then esbuild).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

FRONTEND = Path(__file__).with_name("frontend")
BUNDLE = FRONTEND / "dist" / "frontend.js"

SEED = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from platform_notifications.models import Notification
ana = get_user_model().objects.get(username="ana")
now = timezone.now()
rows = [("discussion", "new_response", {"replier_name": f"R{i}", "post_title": f"Post {i}"}) for i in range(23)]
rows += [("updates", "course_updates", {"course_update_content": f"Update {i}"}) for i in range(3)]
for i, (app, kind, context) in enumerate(rows):
    Notification.objects.create(user=ana, app_name=app, notification_type=kind, content_context=context,
        course_id="course-v1:Demo+N1+2026", content_url="/forum/", created=now - timedelta(minutes=i))
# Rows written around the pipeline: tell the tray count cache, as every writer inside the package does.
from platform_notifications.inbox import counts
counts.changed(ana.pk)
"""

CONFIGURE = """
async (origin) => {
  const fe = window.pnFrontend;
  fe.mergeConfig({
    BASE_URL: origin, LMS_BASE_URL: origin, LOGIN_URL: origin + '/login/', LOGOUT_URL: origin + '/logout/',
    REFRESH_ACCESS_TOKEN_ENDPOINT: origin + '/login_refresh',
    ACCESS_TOKEN_COOKIE_NAME: 'edx-jwt-cookie-header-payload', CSRF_TOKEN_API_PATH: '/csrf/api/v1/token',
  });
  const errors = [];
  fe.configureAuth(fe.AxiosJwtAuthService, {
    config: fe.getConfig(), middleware: [],
    loggingService: { logError: (e) => errors.push(String(e)), logInfo: () => {}, setCustomAttribute: () => {} },
  });
  const user = await fe.fetchAuthenticatedUser();
  return { username: user && user.username, errors };
}
"""

TRAY = """
async () => {
  const { tray, camelCaseObject } = window.pnFrontend;
  const out = {};
  const counts = camelCaseObject(await tray.getNotificationCounts());
  out.counts = counts;
  const pages = [];
  for (let page = 1; page <= 3; page += 1) {
    const data = camelCaseObject(await tray.getNotificationsList('discussion', page, 10, true));
    pages.push({
      ids: data.results.map(r => r.id), next: !!data.next, numPages: data.numPages, current: data.currentPage,
    });
  }
  out.pages = pages;
  out.updates = camelCaseObject(await tray.getNotificationsList('updates', 1, 10, true)).results.length;
  await tray.markNotificationSeen('discussion');
  out.afterSeen = camelCaseObject(await tray.getNotificationCounts());
  const first = pages[0].ids[0];
  const read = await tray.markNotificationRead(first);
  out.readId = read.id;
  const again = camelCaseObject(await tray.getNotificationsList('discussion', 1, 10, true));
  out.firstRead = again.results.find(r => r.id === first).lastRead !== null;
  out.othersUnread = again.results.filter(r => r.id !== first).every(r => r.lastRead === null);
  await tray.markAllNotificationRead('updates');
  const updates = camelCaseObject(await tray.getNotificationsList('updates', 1, 10, true));
  out.updatesAllRead = updates.results.every(r => r.lastRead !== null);
  return out;
}
"""

# The account page's requests (REPLAY of frontend-app-account data/api.js + data/hooks.js), sent with the real
# platform library's client: PUT one change, and after switching email on, the cadence it holds again.
ACCOUNT = """
async ({ change, version }) => {
  const fe = window.pnFrontend;
  const url = fe.getConfig().LMS_BASE_URL + `/api/notifications/${version}/configurations/`;
  const client = fe.getAuthenticatedHttpClient();
  const put = async (channel, value, cadence) => (await client.put(url, {
    notification_app: change.app, notification_type: change.type, notification_channel: channel,
    value: channel === 'email_cadence' ? undefined : value, email_cadence: cadence,
  })).data;
  const answers = [await put(change.channel, change.value, change.cadence)];
  if (change.channel === 'email' && change.value) {
    answers.push(await put('email_cadence', change.value, change.cadence));
  }
  const page = fe.camelCaseObject((await client.get(url)).data);
  return { answers: answers.map(fe.camelCaseObject), page };
}
"""

GET_PAGE = """
async (version) => {
  const fe = window.pnFrontend;
  const url = fe.getConfig().LMS_BASE_URL + `/api/notifications/${version}/configurations/`;
  return fe.camelCaseObject((await fe.getAuthenticatedHttpClient().get(url)).data);
}
"""


@pytest.fixture(scope="session")
def bundle() -> Path:
    result = subprocess.run(["bash", str(FRONTEND / "build.sh")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"bundling the front-end packages failed:\n{result.stdout}\n{result.stderr}"
    return BUNDLE


@pytest.fixture
def frontend(login, demo, bundle):
    """Ana's page with the real packages loaded and signed in by JWT; every answer's status is recorded."""
    page = login("ana")
    statuses: list[tuple[int, str]] = []
    page.on("response", lambda response: statuses.append((response.status, response.url)))
    load(page, bundle)
    signed_in = page.evaluate(CONFIGURE, demo.url)
    assert signed_in == {"username": "ana", "errors": []}
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert {"edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"} <= cookies
    # From here on only the JWT (and the CSRF cookie) authenticate.
    session = [c for c in page.context.cookies() if c["name"] != "sessionid"]
    page.context.clear_cookies()
    page.context.add_cookies(session)
    return page, statuses


def load(page, bundle: Path) -> None:
    """Run the bundle in the page (evaluated, as the demo's Content-Security-Policy refuses inline scripts)."""
    page.evaluate(bundle.read_text(encoding="utf-8") + "\n;undefined")
    assert page.evaluate("typeof window.pnFrontend") == "object"


def _failed(statuses):
    return [(status, url) for status, url in statuses if status >= 400]


def test_tray_data_layer_counts_tabs_paging_seen_and_read(clean_slate, demo, frontend):
    page, statuses = frontend
    demo.manage(SEED)
    result = page.evaluate(TRAY)
    counts = result["counts"]
    assert counts["count"] == 26
    # Every enabled app is listed, zeros included (the demo's non-course apps and the tracing alerts too).
    assert counts["countByAppName"] == {
        "discussion": 23,
        "updates": 3,
        "grading": 0,
        "alerts": 0,
        "approvals": 0,
        "forum": 0,
    }
    assert counts["showNotificationsTray"] is True
    pages = result["pages"]
    assert [len(p["ids"]) for p in pages] == [10, 10, 3] and [p["next"] for p in pages] == [True, True, False]
    assert len({i for p in pages for i in p["ids"]}) == 23 and pages[0]["numPages"] == 3
    assert result["updates"] == 3
    assert result["afterSeen"]["countByAppName"]["discussion"] == 0 and result["afterSeen"]["count"] == 3
    assert result["firstRead"] and result["othersUnread"] and result["updatesAllRead"]
    assert _failed(statuses) == []
    # The platform library did what it does on an Open edX site.
    assert any(url.endswith("/login_refresh") for _s, url in statuses)
    assert any(url.endswith("/csrf/api/v1/token") for _s, url in statuses)


def _editable_changes(page_data):
    """Every editable channel of every row, both ways, and every offered cadence (as the page offers them)."""
    for app, entry in page_data["data"].items():
        for type_, row in entry["notificationTypes"].items():
            locked = set(entry["nonEditable"].get(type_, []))
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in type_)
            for channel in ("web", "email", "push"):
                if channel not in locked:
                    for value in (not row[channel], row[channel]):
                        yield {"app": app, "type": snake, "channel": channel, "value": value, "cadence": "Daily"}
            if "email" not in locked:
                for cadence in ("Weekly", "Immediately", "Daily"):
                    yield {"app": app, "type": snake, "channel": "email_cadence", "value": None, "cadence": cadence}


@pytest.mark.parametrize("version", ["v3", "v2"])  # the Verawood client and the Ulmo-era one
def test_account_page_replay_every_channel_and_cadence_survives_a_reload(clean_slate, demo, frontend, version):
    page, statuses = frontend
    before = page.evaluate(GET_PAGE, version)
    assert "courseUpdates" in before["data"]["updates"]["notificationTypes"]
    changes = list(_editable_changes(before))
    assert len(changes) > 20
    for change in changes:
        result = page.evaluate(ACCOUNT, {"change": change, "version": version})
        for answer in result["answers"]:
            assert answer["status"] == "success" and {"showPreferences", "showEmailPreferences"} <= set(answer)
        row = result["page"]["data"][change["app"]]["notificationTypes"][_camel(change["type"])]
        if change["channel"] == "email_cadence":
            assert row["emailCadence"] == change["cadence"]
        else:
            assert row[change["channel"]] is change["value"]
        assert row["emailCadence"] in {"Immediately", "Daily", "Weekly"}
    # A reload finds what the last changes left: each channel back at its first value, cadence Daily.
    page.reload()
    load(page, BUNDLE)
    # Signed in by the JWT cookie pair alone (the session was dropped): no refresh is needed while it is valid.
    assert page.evaluate(CONFIGURE, demo.url) == {"username": "ana", "errors": []}
    after = page.evaluate(GET_PAGE, version)
    assert after["data"] == before["data"]
    assert _failed(statuses) == []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
