"""Test settings for an Open edX test run."""

from platform_notifications.settings.common import plugin_settings as common_settings


def plugin_settings(settings) -> None:
    common_settings(settings)
