"""The email channel: immediate sends, buffered sends and digest scheduling for a chunk."""

from __future__ import annotations

import logging

from platform_notifications.channels.base import Channel, ChunkDelivery
from platform_notifications.config import toggles

log = logging.getLogger(__name__)


class EmailChannel(Channel):
    name = "email"

    def enabled(self) -> bool:
        return toggles.ENABLE_EMAIL_NOTIFICATIONS.is_enabled()

    def deliver_chunk(self, delivery: ChunkDelivery) -> None:
        # Schedules only: the rows and the tasks; no SMTP happens inside the fan-out's transaction.
        from platform_notifications.channels.email import schedule

        schedule.schedule_chunk(delivery)
