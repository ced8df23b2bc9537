"""The Open edX plugin declaration, the built-in receivers it displaces, and refusals in the admin."""

from __future__ import annotations

import sys
import types
from importlib import import_module

import pytest
from django.apps import apps
from edx_django_utils.plugins import PluginSettings, PluginSignals, PluginURLs
from openedx_events.learning.signals import COURSE_NOTIFICATION_REQUESTED, USER_NOTIFICATION_REQUESTED

from platform_notifications.apps import PlatformNotificationsConfig
from platform_notifications.intake import receivers
from platform_notifications.models import NotificationRequest, RefusedNotification

PROJECTS = ("lms.djangoapp", "cms.djangoapp")


@pytest.mark.parametrize("project", PROJECTS)
def test_plugin_app_declares_urls_settings_and_signals(project):
    plugin = PlatformNotificationsConfig.plugin_app
    urls = plugin[PluginURLs.CONFIG][project]
    # Open edX's own notifications app owns api/notifications/ and the label "notifications".
    assert urls[PluginURLs.REGEX] != r"^api/notifications/"
    assert PlatformNotificationsConfig.label != "notifications"
    import_module(f"platform_notifications.{urls[PluginURLs.RELATIVE_PATH]}")
    for settings_type in ("common", "production", "test"):
        path = plugin[PluginSettings.CONFIG][project][settings_type][PluginSettings.RELATIVE_PATH]
        assert callable(import_module(f"platform_notifications.{path}").plugin_settings)
    signals = plugin[PluginSignals.CONFIG][project]
    module = import_module(f"platform_notifications.{signals[PluginSignals.RELATIVE_PATH]}")
    declared = {r[PluginSignals.SIGNAL_PATH]: r for r in signals[PluginSignals.RECEIVERS]}
    assert set(declared) == {
        "openedx_events.learning.signals.USER_NOTIFICATION_REQUESTED",
        "openedx_events.learning.signals.COURSE_NOTIFICATION_REQUESTED",
    }
    for receiver in declared.values():
        assert callable(getattr(module, receiver[PluginSignals.RECEIVER_FUNC_NAME]))
        assert receiver[PluginSignals.DISPATCH_UID].startswith("platform_notifications.")


def test_plugin_settings_fill_in_defaults_without_overwriting():
    from platform_notifications.settings.common import plugin_settings

    settings = types.SimpleNamespace(NOTIFICATION_CREATION_BATCH_SIZE=76)
    plugin_settings(settings)
    assert settings.NOTIFICATION_CREATION_BATCH_SIZE == 76
    assert settings.NOTIFICATIONS_EXPIRY == 60


@pytest.mark.django_db
@pytest.mark.usefixtures("notifications_on")
def test_builtin_openedx_receivers_are_disconnected_when_that_app_is_installed(monkeypatch, users):
    from tests.foundation.test_receivers import user_data

    handlers = types.ModuleType("openedx.core.djangoapps.notifications.handlers")
    calls = []
    handlers.generate_user_notifications = lambda **kwargs: calls.append("user")
    handlers.generate_course_notifications = lambda **kwargs: calls.append("course")
    monkeypatch.setitem(sys.modules, handlers.__name__, handlers)
    USER_NOTIFICATION_REQUESTED.connect(handlers.generate_user_notifications)
    COURSE_NOTIFICATION_REQUESTED.connect(handlers.generate_course_notifications)
    try:
        assert receivers.disconnect_builtin_openedx_receivers() == 0  # not installed: left alone
        USER_NOTIFICATION_REQUESTED.send_event(notification_data=user_data([users[0].id]))
        assert calls == ["user"]

        installed = apps.is_installed
        monkeypatch.setattr(
            apps, "is_installed", lambda name: name == "openedx.core.djangoapps.notifications" or installed(name)
        )
        assert receivers.disconnect_builtin_openedx_receivers() == 2
        USER_NOTIFICATION_REQUESTED.send_event(notification_data=user_data([users[0].id]))
        assert calls == ["user"]  # only this plugin received the second event
        assert NotificationRequest.objects.count() == 2
    finally:
        USER_NOTIFICATION_REQUESTED.disconnect(handlers.generate_user_notifications)
        COURSE_NOTIFICATION_REQUESTED.disconnect(handlers.generate_course_notifications)


@pytest.mark.django_db
def test_refusals_are_listed_in_the_admin(admin_client):
    RefusedNotification.objects.create(
        source="USER_NOTIFICATION_REQUESTED", notification_type="no_such_type", reason="UnknownNotificationType: x"
    )
    response = admin_client.get("/admin/platform_notifications/refusednotification/")
    assert response.status_code == 200
    assert b"UnknownNotificationType: x" in response.content
    for model in ("notification", "notificationrequest", "notificationpreference", "coursemembership"):
        assert admin_client.get(f"/admin/platform_notifications/{model}/").status_code == 200
