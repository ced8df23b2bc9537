"""The audience dict of ``service.send`` (cleaned by ``intake.audience``), walked in user-id chunks as SQL subqueries.

Keys combine as a union: ``users``, ``groups``, ``followers_of``, ``course`` (with Open edX's filters beside it),
and any key a host registered (``audience.hosts``). ``permissions`` narrows the union to active users holding all
of them. Each chunk costs one query per source (the first ids above the cursor, an index range scan) and one
query for the active, permitted users among them, whatever the audience size.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from platform_notifications.audience import followers, groups, hosts, permissions
from platform_notifications.audience.resolver import LEARNERS, Chunk, _first_ids, filter_instance
from platform_notifications.core.idsets import lookup
from platform_notifications.exceptions import InvalidRecipients
from platform_notifications.models import NotificationRequest

MAX_USER_ID = 2**63 - 1


def clean_users(value: Any) -> list[int]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidRecipients("users must be a list of users or user ids")
    ids = set()
    for item in value:
        item = getattr(item, "pk", item)
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= MAX_USER_ID:
            raise InvalidRecipients(f"each of users must be a user or a positive user id, got {item!r}")
        ids.add(item)
    return sorted(ids)


class SpecAudience:
    """Walks an ``audience`` request's recipients in ascending user-id order."""

    def __init__(self, request: NotificationRequest) -> None:
        spec = request.audience
        self.sender_id = request.sender_id
        permission_ids = spec.get("permissions", [])
        self.permitted = permissions.holding(permission_ids) if permission_ids else None
        self.lists: list[list[int]] = []
        self.queries: list[QuerySet] = []
        if spec.get("users"):
            self.lists.append(spec["users"])
        if spec.get("groups"):
            self.queries.append(groups.members(spec["groups"]))
        if spec.get("followers_of"):
            self.queries.append(followers.followers(spec["followers_of"]))
        if "course" in spec:
            course = spec["course"]
            filters = course["filters"] or {LEARNERS: []}
            self.queries += [filter_instance(key).user_ids(course["id"], values) for key, values in filters.items()]
        if spec.get("recipients_of"):
            self._recipients_of(request, spec["recipients_of"])
        for key, value in spec.get("hosts", {}).items():
            found = hosts.user_ids(key, value)
            (self.queries if isinstance(found, QuerySet) else self.lists).append(found)

    def _recipients_of(self, request: NotificationRequest, reference: list) -> None:
        """``notify_for``: the kind's ``recipients(obj)`` QuerySet, asked again here and walked as a subquery."""
        from django.contrib.contenttypes.models import ContentType

        from platform_notifications.config.kinds import kind_of
        from platform_notifications.config.kinds import registry as kinds

        info = kinds.get(kind_of(request.app_name, request.notification_type))
        content_type = ContentType.objects.filter(pk=reference[0]).first()
        model = content_type.model_class() if content_type else None
        obj = model._default_manager.filter(pk=reference[1]).first() if model else None
        if info is None or info.recipients is None or obj is None:
            return  # the object (or the kind) is gone: nobody is left to notify
        found = info.recipients(obj)
        if isinstance(found, QuerySet) and found.model is get_user_model() and getattr(found, "_fields", None) is None:
            found = found.values_list("pk", flat=True)
        (self.queries if isinstance(found, QuerySet) else self.lists).append(
            found if isinstance(found, QuerySet) else clean_users(found)
        )

    def next_chunk(self, after: int, size: int) -> Chunk | None:
        """Up to ``size`` candidates above ``after``, keeping the active and permitted ones; None when done."""
        found: set[int] = set()
        for ids in self.lists:
            start = bisect.bisect_right(ids, after)
            found.update(ids[start : start + size])
        for query in self.queries:
            found.update(_first_ids(query, after, size))
        candidates = sorted(found)[:size]
        if not candidates:
            return None
        users = get_user_model().objects.filter(**lookup("id", candidates), is_active=True)
        if self.permitted is not None:
            users = users.filter(self.permitted)
        # The lookup may be a range that also covers ids outside the chunk: keep only the candidates.
        kept = set(users.values_list("id", flat=True)) & set(candidates)
        kept.discard(self.sender_id)
        return Chunk(sorted(kept), candidates[-1])
