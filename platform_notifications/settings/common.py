"""Defaults applied to an Open edX LMS/CMS by the plugin; operators override them in their own settings."""

from copy import deepcopy

from platform_notifications.config.settings import DEFAULTS


def plugin_settings(settings) -> None:
    for name, value in DEFAULTS.items():
        if not hasattr(settings, name):
            # A copy: the host may mutate its settings dicts in place; the shared defaults must not change.
            setattr(settings, name, deepcopy(value))
