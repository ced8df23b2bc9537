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
    """What varies between the rows of one chunk.

    The fan-out builds its rows as plain tuples of these five fields (a named tuple costs three times as much to
    create, 20,000 times a chunk), so readers unpack or index rows rather than use the names.
    """

    user_id: int
    web: bool
    email: bool
    push: bool
    email_cadence: str


def emailed_by_cadence(rows: Sequence[Any], into: dict[str, list[int]]) -> dict[str, list[int]]:
    """Add the user ids of ``rows`` (notifications or rows with their fields) that are emailed, by cadence."""
    for row in rows:
        if row.email:
            into.setdefault(row.email_cadence, []).append(row.user_id)
    return into


def as_fields(row: tuple[int, bool, bool, bool, str]) -> dict[str, Any]:
    """A chunk row as ``Notification`` field values."""
    return dict(zip(NewRow._fields, row, strict=True))


class ChunkRows(Sequence["Notification"]):
    """A chunk's notifications (new rows, then grouped ones) as model instances, built on first use.

    The fan-out writes rows without model instances; channels that only need the rows in the database
    (web, push) never pay for building them, and the email channel gets instances with their primary keys.
    """

    def __init__(
        self, shared: dict[str, Any], new: Sequence[NewRow], ids: dict[int, int] | None, now: datetime, grouped=()
    ) -> None:
        self._shared, self._new, self._ids, self._now = shared, new, ids, now
        self._grouped = grouped
        # A merge's rows as written (``fanout.grouping.MergedRows``) answer who is emailed or in the tray without
        # model instances; any other sequence of notifications answers the same through its instances.
        self._grouped_values: Sequence[Any] = getattr(grouped, "written", grouped)
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
                    id=ids.get(row[0]), **self._shared, **as_fields(row), created=self._now, modified=self._now
                )
                notification._state.adding, notification._state.db = False, db
                built.append(notification)
            self._built = built + list(self._grouped)
        return self._built

    def _read_ids(self) -> dict[int, int]:
        # Engines without RETURNING (MySQL): one query finds the chunk's rows by user and creation instant.
        from platform_notifications.models import Notification

        found = Notification.objects.filter(
            user_id__in=[row[0] for row in self._new],
            created=self._now,
            notification_type=self._shared["notification_type"],
            course_id=self._shared["course_id"],
        ).values_list("user_id", "id")
        return dict(found)

    def emailed(self) -> dict[str, list[int]]:
        """``{email_cadence: [user_id, ...]}`` of the emailed rows, from the written values: no instances, no query."""
        by_cadence: dict[str, list[int]] = {}
        # Tuple unpacking, not attribute access: this runs once per recipient of the chunk.
        for user_id, _web, email, _push, cadence in self._new:
            if email:
                users = by_cadence.get(cadence)
                if users is None:
                    users = by_cadence[cadence] = []
                users.append(user_id)
        return emailed_by_cadence(self._grouped_values, by_cadence)

    def web_ids(self) -> list[tuple[int, int]]:
        """``(user_id, id)`` of the tray rows, from the INSERT's returned ids: no instances (MySQL: one read)."""
        new = [user_id for user_id, web, *_ in self._new if web]
        if new and self._ids is None:
            self._ids = self._read_ids()
        ids = self._ids or {}
        grouped = [(n.user_id, n.pk) for n in self._grouped_values if n.web]
        return [(uid, ids[uid]) for uid in new if uid in ids] + grouped

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
    #: What one channel read for the chunk and another may reuse (the webhook and Slack channels' endpoints).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def emailed(self) -> dict[str, list[int]]:
        """``{email_cadence: [user_id, ...]}`` of the chunk's rows that are emailed.

        The fan-out's rows answer from the values it wrote, so a channel that needs only these never builds
        model instances (nor, on MySQL, reads the new ids back).
        """
        rows = self.notifications
        if isinstance(rows, ChunkRows):
            return rows.emailed()
        return emailed_by_cadence(rows, {})

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
