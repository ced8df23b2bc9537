"""Delivery channels, one subpackage each (web, email, push), on the shared contract in ``base``.

``Channel`` and ``ChunkDelivery`` are the stable surface for a new channel; ``delivery`` runs the enabled ones.
"""

from platform_notifications.channels.base import Channel, ChunkDelivery

__all__ = ["Channel", "ChunkDelivery"]
