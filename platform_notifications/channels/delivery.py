"""Delivery channels: each a class with one job, loaded from ``NOTIFICATION_CHANNELS``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import nullcontext

from django.db import transaction
from django.utils.module_loading import import_string

from platform_notifications.channels.base import Channel, ChunkDelivery
from platform_notifications.config.settings import get_setting

log = logging.getLogger(__name__)

__all__ = ["Channel", "ChunkDelivery", "deliver_chunk", "enabled_channels"]


def enabled_channels() -> list[Channel]:
    channels = [import_string(path)() for path in get_setting("NOTIFICATION_CHANNELS")]
    return [channel for channel in channels if channel.enabled()]


def deliver_chunk(delivery: ChunkDelivery, channels: Sequence[Channel] | None = None) -> None:
    """Hand a chunk's notifications to every enabled channel; one channel's failure never blocks another."""
    for channel in enabled_channels() if channels is None else channels:
        try:
            # A savepoint per writing channel: a database error in one channel must not abort the chunk's
            # transaction (on PostgreSQL it would) and so the rows of the web channel.
            with transaction.atomic() if channel.writes_to_database else nullcontext():
                channel.deliver_chunk(delivery)
        except Exception:
            # The rows are already committed with the chunk; a channel that failed here records and
            # retries its own work (email has its schedule rows and the due-digest sweep).
            log.exception("channel %s failed for request %s", channel.name, getattr(delivery.request, "pk", None))
