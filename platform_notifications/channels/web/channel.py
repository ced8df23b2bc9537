"""The web (tray) channel: the stored row is the delivery; the live log gets its events, the counts are invalidated.

No savepoint of its own: the live events belong to the chunk's transaction, so an open stream is never told of a
row that was rolled back, and a chunk retried after a failure writes its events again with its rows.
"""

from __future__ import annotations

from platform_notifications.channels.base import Channel, ChunkDelivery
from platform_notifications.inbox import counts, live


class WebChannel(Channel):
    name = "web"
    # One INSERT in the chunk's transaction (the live log); the invalidation runs after commit, in the cache.
    writes_to_database = False

    def deliver_chunk(self, delivery: ChunkDelivery) -> None:
        # Rows with ``web=True`` are what the tray API lists; they were written by the fan-out. The chunk's
        # users (new and grouped rows alike) get one live event each, in one INSERT, and fresh counts: one cache
        # operation for the whole chunk.
        live.record_notifications(delivery.web_ids(), delivery.now)
        counts.invalidate(uid for uid, eff in delivery.prefs.items() if eff.web)
