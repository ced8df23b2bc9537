"""Built-in groupers for the shipped discussion and grading types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_notifications.config.rendering import GROUPED_FLAG
from platform_notifications.fanout.grouping import BaseGrouper, actor_identity, register_grouper

#: Distinct actors remembered per grouped row (keys of ~15 bytes each in the stored context). Past it the
#: least recent drop out of the list but stay counted; only such a dropped actor acting again is counted twice.
MAX_TRACKED_ACTORS = 100

#: Context keys holding the grouper's own state (not template variables).
ACTORS = "actor_keys"
DROPPED = "dropped_actors"


def others_phrase(count: int) -> str:
    """ "1 other" / "3 others", for templates that say "Ana and {others} replied"."""
    return f"{count} other" if count == 1 else f"{count} others"


class ActorGrouper(BaseGrouper):
    """ "Ana and 3 others ...": the latest actor leads; each distinct person counts once.

    A person is the producer's ``sender_id`` when given, else the display name in ``actor_key`` (two people
    who share a name are then one, the best the event allows).
    """

    actor_key = "replier_name"
    provides = frozenset({"others_count", "others", "actor_count"})

    def identity(self, context: Mapping[str, Any], sender: str | None) -> str:
        return sender or actor_identity("name", context.get(self.actor_key, ""))

    def start(self, new: Mapping[str, Any], sender: str | None = None) -> dict[str, Any]:
        return self._state(new, [self.identity(new, sender)], 0)

    def group(self, existing: Mapping[str, Any], new: Mapping[str, Any], sender: str | None = None) -> dict[str, Any]:
        actors = existing.get(ACTORS)
        if not isinstance(actors, list) or not actors:
            # A row stored without grouper state (before its type had a grouper): its one actor by name.
            actors = [self.identity(existing, None)]
        actors = [actor for actor in actors if isinstance(actor, str)]
        dropped = existing.get(DROPPED)
        dropped = dropped if isinstance(dropped, int) and dropped > 0 else 0
        actor = self.identity(new, sender)
        if actor in actors:
            actors.remove(actor)
        actors.append(actor)
        if len(actors) > MAX_TRACKED_ACTORS:
            dropped += len(actors) - MAX_TRACKED_ACTORS
            actors = actors[-MAX_TRACKED_ACTORS:]
        return self._state(new, actors, dropped)

    @staticmethod
    def _state(new: Mapping[str, Any], actors: list[str], dropped: int) -> dict[str, Any]:
        others = len(actors) - 1 + dropped
        return {
            **new,
            ACTORS: actors,
            DROPPED: dropped,
            "actor_count": others + 1,
            "others_count": others,
            "others": others_phrase(others),
            GROUPED_FLAG: others > 0,
        }


@register_grouper("new_response")
class NewResponseGrouper(ActorGrouper):
    actor_key = "replier_name"


@register_grouper("response_on_followed_post")
class FollowedPostResponseGrouper(ActorGrouper):
    actor_key = "replier_name"


@register_grouper("new_comment")
class NewCommentGrouper(ActorGrouper):
    actor_key = "replier_name"


@register_grouper("new_discussion_post")
class NewDiscussionPostGrouper(ActorGrouper):
    actor_key = "username"


@register_grouper("ora_staff_notifications")
class OraStaffGrouper(BaseGrouper):
    """ "5 new submissions to <ora> are ready for review": every submission counts."""

    provides = frozenset({"submissions_count"})

    def start(self, new: Mapping[str, Any], sender: str | None = None) -> dict[str, Any]:
        return {**new, "submissions_count": 1, GROUPED_FLAG: False}

    def group(self, existing: Mapping[str, Any], new: Mapping[str, Any], sender: str | None = None) -> dict[str, Any]:
        count = existing.get("submissions_count")
        count = count if isinstance(count, int) and count > 0 else 1
        return {**new, "submissions_count": count + 1, GROUPED_FLAG: True}
