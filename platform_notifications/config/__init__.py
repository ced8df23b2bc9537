"""Configuration: channel/cadence enums, the typed app/type registry, settings accessor and toggles."""

from platform_notifications.config.enums import BUNDLED_TYPE, Cadence, Channel
from platform_notifications.config.registry import (
    ChannelDefaults,
    NotificationApp,
    NotificationType,
    registry,
)

__all__ = [
    "BUNDLED_TYPE",
    "Cadence",
    "Channel",
    "ChannelDefaults",
    "NotificationApp",
    "NotificationType",
    "registry",
]
