"""The apps and types shipped by default: Open edX's ``discussion``, ``updates`` and ``grading``.

Channel defaults, locked channels, ``visible_to`` and ``filters`` are Open edX's as shipped in Verawood
(``openedx/core/djangoapps/notifications/base_notification.py``): only the seven discussion activity types
share the app's bundled row; every other type, ``course_updates`` included, has its own row. Each app's
bundled defaults are web, email and push on, Daily, nothing locked; each own-row type locks ``push``.
``ora_reminder`` is this project's own type (Open edX has no such type); it takes ``ora_grade_assigned``'s
defaults. ``tests/foundation/test_default_table.py`` pins the whole table.

Templates are ``str.format`` strings producing HTML; ``{p}`` and ``{strong}`` stand for tag names and every
other field is a context variable (HTML-escaped when rendered).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

FORUM_MODERATORS = ["Administrator", "Moderator", "Community TA"]
COURSE_STAFF = ["staff", "instructor"]
#: Open edX's filter dropping learners whose audit access expired and who hold no course or forum role.
AUDIT_EXPIRED = "filter_audit_expired_users_with_no_role"
#: What every own-row type locks in Open edX: push is not offered to learners.
PUSH_LOCKED = ["push"]

DEFAULT_APPS: dict[str, dict[str, Any]] = {
    "discussion": {
        "enabled": True,
        "info": _("Activity in the course discussion forums"),
        "web": True,
        "email": True,
        "push": True,
        "email_cadence": "Daily",
        "non_editable": [],
    },
    "updates": {
        "enabled": True,
        "info": _("Announcements from the course team"),
        "web": True,
        "email": True,
        "push": True,
        "email_cadence": "Daily",
        "non_editable": [],
    },
    "grading": {
        "enabled": True,
        "info": _("Grades and assessment reminders"),
        "web": True,
        "email": True,
        "push": True,
        "email_cadence": "Daily",
        "non_editable": [],
    },
}


def _bundled(app: str, template: str, context: dict[str, str], **extra: Any) -> dict[str, Any]:
    """A type that takes its channel defaults from its app and shows as the bundled preference row."""
    return {
        "notification_app": app,
        "use_app_defaults": True,
        "content_template": template,
        "content_context": context,
        "filters": [AUDIT_EXPIRED],
        **extra,
    }


def _own(app: str, template: str, context: dict[str, str], *, web: bool, email: bool, **extra: Any) -> dict[str, Any]:
    """A type with its own preference row: push off and locked, Daily, audit-expired learners filtered out."""
    return {
        "notification_app": app,
        "use_app_defaults": False,
        "content_template": template,
        "content_context": context,
        "web": web,
        "email": email,
        "push": False,
        "email_cadence": "Daily",
        "non_editable": PUSH_LOCKED,
        "filters": [AUDIT_EXPIRED],
        **extra,
    }


REPLIER = {"replier_name": "Name of the person who replied", "post_title": "Title of the post"}
AUTHOR_REPLY = {**REPLIER, "author_name": "Name of the author of the response"}
POSTER = {"username": "Name of the person who posted", "post_title": "Title of the post"}

DEFAULT_TYPES: dict[str, dict[str, Any]] = {
    "new_response": _bundled(
        "discussion",
        # Translated at render time, in the reader's language (the package's catalogs).
        _("<{p}><{strong}>{replier_name}</{strong}> replied to your post <{strong}>{post_title}</{strong}></{p}>"),
        REPLIER,
        grouped_content_template=_(
            "<{p}><{strong}>{replier_name}</{strong}> and {others} replied to your post "
            "<{strong}>{post_title}</{strong}></{p}>"
        ),
        info=_("Someone replied to your post"),
    ),
    "new_comment": _bundled(
        "discussion",
        "<{p}><{strong}>{replier_name}</{strong}> commented on <{strong}>{author_name}</{strong}>'s "
        "response to <{strong}>{post_title}</{strong}></{p}>",
        AUTHOR_REPLY,
        grouped_content_template=_(
            "<{p}><{strong}>{replier_name}</{strong}> and {others} commented on responses to "
            "<{strong}>{post_title}</{strong}></{p}>"
        ),
        info=_("Someone commented on a response"),
    ),
    "new_comment_on_response": _bundled(
        "discussion",
        "<{p}><{strong}>{replier_name}</{strong}> commented on your response to "
        "<{strong}>{post_title}</{strong}></{p}>",
        REPLIER,
        info=_("Someone commented on your response"),
    ),
    "response_on_followed_post": _bundled(
        "discussion",
        "<{p}><{strong}>{replier_name}</{strong}> replied to a post you follow: "
        "<{strong}>{post_title}</{strong}></{p}>",
        REPLIER,
        grouped_content_template=_(
            "<{p}><{strong}>{replier_name}</{strong}> and {others} replied to a post you follow: "
            "<{strong}>{post_title}</{strong}></{p}>"
        ),
        info=_("New reply on a post you follow"),
    ),
    "comment_on_followed_post": _bundled(
        "discussion",
        "<{p}><{strong}>{replier_name}</{strong}> commented on <{strong}>{author_name}</{strong}>'s "
        "response in a post you follow: <{strong}>{post_title}</{strong}></{p}>",
        AUTHOR_REPLY,
        info=_("New comment on a post you follow"),
    ),
    "response_endorsed_on_thread": _bundled(
        "discussion",
        "<{p}>A response by <{strong}>{replier_name}</{strong}> to your post "
        "<{strong}>{post_title}</{strong}> was endorsed</{p}>",
        REPLIER,
        info=_("A response to your post was endorsed"),
    ),
    "response_endorsed": _bundled(
        "discussion",
        "<{p}>Your response to <{strong}>{post_title}</{strong}> was endorsed</{p}>",
        {"post_title": "Title of the post"},
        info=_("Your response was endorsed"),
    ),
    "new_discussion_post": _own(
        "discussion",
        "<{p}><{strong}>{username}</{strong}> started a discussion: <{strong}>{post_title}</{strong}></{p}>",
        POSTER,
        grouped_content_template=_(
            "<{p}><{strong}>{username}</{strong}> and {others} started discussions, latest: "
            "<{strong}>{post_title}</{strong}></{p}>"
        ),
        web=False,
        email=False,
        info=_("New discussion posts in your courses"),
    ),
    "new_question_post": _own(
        "discussion",
        "<{p}><{strong}>{username}</{strong}> asked a question: <{strong}>{post_title}</{strong}></{p}>",
        POSTER,
        web=False,
        email=False,
        info=_("New questions in your courses"),
    ),
    "content_reported": _own(
        "discussion",
        "<{p}><{strong}>{username}</{strong}>'s {content_type} was reported: <{strong}>{content}</{strong}></{p}>",
        {
            "username": "Author of the reported content",
            "content_type": "post, response or comment",
            "content": "The reported text",
        },
        web=True,
        email=True,
        visible_to=FORUM_MODERATORS,
        # Open edX sends reported content to moderators whatever their enrollment: no audit filter.
        filters=[],
        info=_("Reported content (moderators only)"),
    ),
    "new_instructor_all_learners_post": _own(
        "discussion",
        "<{p}>Your instructor posted <{strong}>{post_title}</{strong}></{p}>",
        {"post_title": "Title of the post"},
        web=True,
        email=True,
        info=_("Posts from instructors to all learners"),
    ),
    "course_updates": _own(
        "updates",
        "<{p}><{strong}>Course update:</{strong}> {course_update_content}</{p}>",
        {"course_update_content": "Text of the update"},
        web=True,
        email=True,
        info=_("Course updates"),
    ),
    "ora_staff_notifications": _own(
        "grading",
        "<{p}>A learner submitted to <{strong}>{ora_name}</{strong}>; it is ready for review</{p}>",
        {"ora_name": "Name of the open response assessment"},
        grouped_content_template=(
            "<{p}>{submissions_count} new submissions to <{strong}>{ora_name}</{strong}> are ready for review</{p}>"
        ),
        web=True,
        email=False,
        visible_to=COURSE_STAFF,
        info=_("New submissions to review (course staff)"),
    ),
    "ora_grade_assigned": _own(
        "grading",
        "<{p}>You received {points_earned} of {points_possible} points on <{strong}>{ora_name}</{strong}></{p}>",
        {
            "ora_name": "Name of the open response assessment",
            "points_earned": "Points earned",
            "points_possible": "Points possible",
        },
        web=True,
        email=True,
        info=_("Your grade on an assessment"),
    ),
    "ora_reminder": _own(
        "grading",
        "<{p}>Reminder: <{strong}>{ora_name}</{strong}> is waiting for you to finish the {pending_step} step</{p}>",
        {"ora_name": "Name of the open response assessment", "pending_step": "The step still to do"},
        web=True,
        email=True,
        info=_("Reminders about unfinished assessments"),
    ),
}
