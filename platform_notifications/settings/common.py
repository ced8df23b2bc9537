"""Defaults applied to an Open edX LMS/CMS by the plugin; operators override them in their own settings."""

from platform_notifications.config.settings import DEFAULTS


def plugin_settings(settings) -> None:
    for name, value in DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
