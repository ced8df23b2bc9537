"""The channel base class and the per-chunk payload handed to channels."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platform_notifications.config import NotificationType
    from platform_notifications.models import Notification, NotificationRequest
    from platform_notifications.preferences import Effective

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChunkDelivery:
    """One fan-out chunk after its rows were written: new rows and rows a grouper updated."""

    request: NotificationRequest
    ntype: NotificationType
    notifications: list[Notification]
    prefs: dict[int, Effective]
    now: datetime


class Channel:
    """A delivery channel. Subclasses set ``name`` and implement ``deliver_chunk``."""

    name = "base"

    def enabled(self) -> bool:
        """Whether the channel runs at all; log why when it does not."""
        return True

    def deliver_chunk(self, delivery: ChunkDelivery) -> None:
        raise NotImplementedError
