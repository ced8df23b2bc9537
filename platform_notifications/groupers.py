"""Built-in groupers for the shipped discussion and grading types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_notifications.grouping import BaseGrouper, register_grouper
from platform_notifications.rendering import GROUPED_FLAG

#: Distinct actor names kept per grouped row; beyond it the oldest names drop out of the list but are
#: still counted.
MAX_ACTORS = 200


class ActorGrouper(BaseGrouper):
    """ "Ana and 3 others ...": the latest actor leads, distinct earlier actors are counted once each."""

    actor_key = "replier_name"
    provides = frozenset({"others_count", "actors"})

    def group(self, existing: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        actors = list(existing.get("actors") or [existing.get(self.actor_key)])
        dropped = int(existing.get("dropped_actors", 0))
        actor = new.get(self.actor_key)
        if actor in actors:
            actors.remove(actor)
        actors.append(actor)
        if len(actors) > MAX_ACTORS:
            dropped += len(actors) - MAX_ACTORS
            actors = actors[-MAX_ACTORS:]
        others = len(actors) - 1 + dropped
        return {
            **new,
            "actors": actors,
            "dropped_actors": dropped,
            "others_count": others,
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
    """ "5 new submissions to <ora> are ready for review"."""

    provides = frozenset({"submissions_count"})

    def group(self, existing: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        count = int(existing.get("submissions_count", 1)) + 1
        return {**new, "submissions_count": count, GROUPED_FLAG: True}
