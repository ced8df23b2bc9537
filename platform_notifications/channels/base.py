"""The channel base class and the per-chunk payload handed to channels."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, overload

if TYPE_CHECKING:
    from platform_notifications.config import NotificationType
    from platform_notifications.models import Notification, NotificationRequest
    from platform_notifications.preferences.effective import Effective

log = logging.getLogger(__name__)


class NewRow(NamedTuple):
    """What varies between the rows of one chunk."""

    user_id: int
    web: bool
    email: bool
    push: bool
    email_cadence: str


class ChunkRows(Sequence["Notification"]):
    """A chunk's notifications (new rows, then grouped ones) as model instances, built on first use.

    The fan-out writes rows without model instances; channels that only need the rows in the database
    (web, push) never pay for building them, and the email channel gets instances with their primary keys.
    """

    def __init__(
        self, shared: dict[str, Any], new: Sequence[NewRow], ids: dict[int, int] | None, now: datetime, grouped=()
    ) -> None:
        self._shared, self._new, self._ids, self._now = shared, new, ids, now
        self._grouped = list(grouped)
        self._built: list[Notification] | None = None

    def _rows(self) -> list[Notification]:
        if self._built is None:
            from django.db import router

            from platform_notifications.models import Notification

            ids = self._ids if self._ids is not None else self._read_ids()
            db = router.db_for_write(Notification)
            built = []
            for row in self._new:
                notification = Notification(
                    id=ids.get(row.user_id), **self._shared, **row._asdict(), created=self._now, modified=self._now
                )
                notification._state.adding, notification._state.db = False, db
                built.append(notification)
            self._built = built + self._grouped
        return self._built

    def _read_ids(self) -> dict[int, int]:
        # Engines without RETURNING (MySQL): one query finds the chunk's rows by user and creation instant.
        from platform_notifications.models import Notification

        found = Notification.objects.filter(
            user_id__in=[row.user_id for row in self._new],
            created=self._now,
            notification_type=self._shared["notification_type"],
            course_id=self._shared["course_id"],
        ).values_list("user_id", "id")
        return dict(found)

    def emailed(self) -> list[tuple[int, str]]:
        """``(user_id, email_cadence)`` of the emailed rows, read from the written values: no instances, no query."""
        new = [(row.user_id, row.email_cadence) for row in self._new if row.email]
        return new + [(row.user_id, row.email_cadence) for row in self._grouped if row.email]

    def web_ids(self) -> list[tuple[int, int]]:
        """``(user_id, id)`` of the tray rows, from the INSERT's returned ids: no instances (MySQL: one read)."""
        new = [row.user_id for row in self._new if row.web]
        if new and self._ids is None:
            self._ids = self._read_ids()
        ids = self._ids or {}
        return [(uid, ids[uid]) for uid in new if uid in ids] + [(n.user_id, n.pk) for n in self._grouped if n.web]

    def __len__(self) -> int:
        return len(self._new) + len(self._grouped)

    @overload
    def __getitem__(self, index: int) -> Notification: ...
    @overload
    def __getitem__(self, index: slice) -> list[Notification]: ...
    def __getitem__(self, index):
        return self._rows()[index]

    def __iter__(self):
        return iter(self._rows())


@dataclass(frozen=True)
class ChunkDelivery:
    """One fan-out chunk after its rows were written: new rows and rows a grouper updated."""

    request: NotificationRequest
    ntype: NotificationType
    #: Model instances with primary keys (a ``ChunkRows`` from the fan-out: built when first read).
    notifications: Sequence[Notification]
    prefs: dict[int, Effective]
    now: datetime
    #: Users in do-not-disturb or quiet hours: their interruptions (push, web push) wait until then.
    held_until: dict[int, datetime] = field(default_factory=dict)

    def emailed(self) -> list[tuple[int, str]]:
        """``(user_id, email_cadence)`` of the chunk's rows that are emailed.

        The fan-out's rows answer from the values it wrote, so a channel that needs only these never builds
        model instances (nor, on MySQL, reads the new ids back).
        """
        rows = self.notifications
        if isinstance(rows, ChunkRows):
            return rows.emailed()
        return [(row.user_id, row.email_cadence) for row in rows if row.email]

    def web_ids(self) -> list[tuple[int, int]]:
        """``(user_id, id)`` of the chunk's tray (web) rows."""
        rows = self.notifications
        if isinstance(rows, ChunkRows):
            return rows.web_ids()
        return [(row.user_id, row.pk) for row in rows if row.web]


class Channel:
    """A delivery channel. Subclasses set ``name`` and implement ``deliver_chunk``."""

    name = "base"
    #: Whether ``deliver_chunk`` touches the database: such a channel runs in a savepoint of its own, so that
    #: its database error cannot abort the chunk's transaction. A channel that writes nothing skips the
    #: savepoint's two round trips per chunk.
    writes_to_database = True

    def enabled(self) -> bool:
        """Whether the channel runs at all; log why when it does not."""
        return True

    def deliver_chunk(self, delivery: ChunkDelivery) -> None:
        raise NotImplementedError
