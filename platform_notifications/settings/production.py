"""Production settings: read operator values from the LMS/CMS YAML (``ENV_TOKENS``) when present."""

from platform_notifications.config.settings import DEFAULTS


def plugin_settings(settings) -> None:
    tokens = getattr(settings, "ENV_TOKENS", {}) or {}
    for name in DEFAULTS:
        if name in tokens:
            setattr(settings, name, tokens[name])
