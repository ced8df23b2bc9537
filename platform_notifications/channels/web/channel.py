"""The web (tray) channel: the stored row is the delivery; after commit the tray's counts are invalidated."""

from __future__ import annotations

from platform_notifications.channels.base import Channel, ChunkDelivery
from platform_notifications.inbox import counts


class WebChannel(Channel):
    name = "web"
    # Writes nothing to the database: the invalidation runs after the chunk's commit, in the cache.
    writes_to_database = False

    def deliver_chunk(self, delivery: ChunkDelivery) -> None:
        # Rows with ``web=True`` are what the tray API lists; they were written by the fan-out. The chunk's
        # users (new and grouped rows alike) get fresh counts: one cache operation for the whole chunk.
        counts.invalidate(uid for uid, eff in delivery.prefs.items() if eff.web)
