"""With the plugin enabled, the stock front ends' ``/api/notifications/...`` calls reach this plugin.

The rendered LMS settings (production and development) point ``ROOT_URLCONF`` at
``platform_notifications.api.openedx_urls``; that URL conf, loaded over a stand-in for ``lms.urls`` that routes
``/api/notifications/`` to an "Open edX" view, answers the tray and preferences calls with this plugin's views and
leaves every other LMS route to ``lms.urls``. Open edX's own sending is disconnected by the plugin app itself
(``tests/foundation/test_plugin.py``), so nothing is delivered twice.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import clear_url_caches, path

from tests.factories import UserFactory
from tests.tutorplugin.test_tutorplugin_render import LMS_PRODUCTION, SETTINGS_FILES, literal_settings

if TYPE_CHECKING:  # the fixtures provide it
    from conftest import TutorProject

URLCONF = "platform_notifications.api.openedx_urls"
LMS_FILES = [path_ for path_ in SETTINGS_FILES if "lms" in path_]
CMS_FILES = [path_ for path_ in SETTINGS_FILES if "cms" in path_]


def test_rendered_lms_settings_route_the_openedx_paths_to_the_plugin(enabled: TutorProject) -> None:
    for settings_file in LMS_FILES:
        assert literal_settings(enabled.read(*settings_file)).get("ROOT_URLCONF") == URLCONF, settings_file
    for settings_file in CMS_FILES:  # the front ends call the LMS only
        assert "ROOT_URLCONF" not in literal_settings(enabled.read(*settings_file)), settings_file


def test_the_route_can_be_switched_off(enabled: TutorProject) -> None:
    enabled.run("config", "save", "--set", "NOTIFICATIONS_SERVE_OPENEDX_PATHS=false")
    for settings_file in LMS_FILES:
        assert "ROOT_URLCONF" not in literal_settings(enabled.read(*settings_file))


def test_an_invalid_switch_is_refused(enabled: TutorProject) -> None:
    result = enabled.run("config", "save", "--set", "NOTIFICATIONS_SERVE_OPENEDX_PATHS=1", ok=False)
    assert result.returncode != 0 and "NOTIFICATIONS_SERVE_OPENEDX_PATHS" in result.stdout + result.stderr


def openedx_view(request, *args, **kwargs) -> HttpResponse:
    return HttpResponse("served by Open edX", content_type="text/plain")


@pytest.fixture
def rendered_urlconf(enabled: TutorProject, monkeypatch):
    """The ROOT_URLCONF of the rendered LMS settings, imported over a stand-in ``lms.urls``."""
    urlconf = literal_settings(enabled.read(*LMS_PRODUCTION))["ROOT_URLCONF"]
    lms_urls = types.ModuleType("lms.urls")
    lms_urls.urlpatterns = [
        # Open edX's own notifications app owns these paths in lms.urls.
        path("api/notifications/", openedx_view),
        path("api/notifications/<path:rest>", openedx_view),
        path("dashboard", openedx_view),
    ]
    lms_urls.handler404 = "tests.tutorplugin.test_tutorplugin_routing.openedx_view"
    monkeypatch.setitem(sys.modules, "lms", types.ModuleType("lms"))
    monkeypatch.setitem(sys.modules, "lms.urls", lms_urls)
    monkeypatch.delitem(sys.modules, urlconf, raising=False)
    module = importlib.import_module(urlconf)
    clear_url_caches()
    with override_settings(ROOT_URLCONF=urlconf):
        yield module
    sys.modules.pop(urlconf, None)
    clear_url_caches()


@pytest.mark.django_db
def test_front_end_calls_reach_the_plugin_and_the_rest_stays_with_the_lms(rendered_urlconf, all_flags_on):
    browser = Client()
    browser.force_login(UserFactory())
    count = browser.get("/api/notifications/count/")
    assert count.status_code == 200 and set(count.json()) >= {"count", "count_by_app_name", "show_notifications_tray"}
    listing = browser.get("/api/notifications/", {"app_name": "discussion", "page_size": 10})
    assert listing.status_code == 200 and listing.json()["results"] == []
    preferences = browser.get("/api/notifications/v3/configurations/")
    assert "course_updates" in preferences.json()["data"]["updates"]["notification_types"]
    assert browser.put("/api/notifications/mark-seen/discussion/").status_code == 200
    # The plugin's preference APIs beyond Open edX's contract, at the same paths as on a standalone server.
    flat = browser.get("/api/notification-preferences/")
    assert flat.status_code == 200 and isinstance(flat.json(), list | dict)
    digest = browser.patch(
        "/api/digest-preferences/", {"digest_frequency": "daily_evening"}, content_type="application/json"
    )
    assert digest.status_code == 200 and digest.json()["digest_frequency"] == "daily_evening"
    # Everything else is the LMS's (its plugin routes, this plugin's /api/platform-notifications/ included).
    assert browser.get("/dashboard").content == b"served by Open edX"
    assert rendered_urlconf.handler404 == "tests.tutorplugin.test_tutorplugin_routing.openedx_view"
