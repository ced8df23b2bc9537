"""The web (tray) channel: the stored row is the delivery, so there is nothing more to do."""

from __future__ import annotations

from platform_notifications.channels.base import Channel, ChunkDelivery


class WebChannel(Channel):
    name = "web"
    writes_to_database = False

    def deliver_chunk(self, delivery: ChunkDelivery) -> None:
        # Rows with ``web=True`` are what the tray API lists; they were written by the fan-out.
        return None
