"""The push channel: records ``push`` on rows while its flag is on; device delivery plugs in here."""

from __future__ import annotations

import logging

from platform_notifications.channels.base import Channel, ChunkDelivery
from platform_notifications.config import toggles

log = logging.getLogger(__name__)


class PushChannel(Channel):
    name = "push"
    writes_to_database = False

    def enabled(self) -> bool:
        return toggles.ENABLE_PUSH_NOTIFICATIONS.is_enabled()

    def deliver_chunk(self, delivery: ChunkDelivery) -> None:
        # No device registry ships yet (FCM/APNs/Web Push come later); the ``push`` column already says
        # which rows a device sender must deliver.
        return None
