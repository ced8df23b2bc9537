"""The demo platform as a producer: each forum, update and grading action emits a real openedx-events signal."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from openedx_events.learning.data import CourseNotificationData, UserNotificationData
from openedx_events.learning.signals import COURSE_NOTIFICATION_REQUESTED, USER_NOTIFICATION_REQUESTED

from demo.course import COURSE_NAME, course_key
from demo.models import CourseUpdate, Grade, Post, Reply


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def reply_posted(reply: Reply) -> None:
    """Tell the post's author (never the replier) that someone replied; replies to one post group together."""
    post = reply.post
    USER_NOTIFICATION_REQUESTED.send_event(
        notification_data=UserNotificationData(
            user_ids=[post.author_id],
            notification_type="new_response",
            content_url=reverse("demo:post", args=[post.pk]),
            app_name="discussion",
            course_key=course_key(),
            context={
                "replier_name": _name(reply.author),
                "post_title": post.title,
                "course_name": COURSE_NAME,
                "group_by_id": str(post.pk),
                "sender_id": reply.author_id,
            },
        )
    )


def post_created(post: Post) -> None:
    """A staff post to all learners, or an ordinary new discussion post, announced course-wide."""
    notification_type = "new_instructor_all_learners_post" if post.to_all_learners else "new_discussion_post"
    COURSE_NOTIFICATION_REQUESTED.send_event(
        course_notification_data=CourseNotificationData(
            course_key=course_key(),
            app_name="discussion",
            notification_type=notification_type,
            content_url=reverse("demo:post", args=[post.pk]),
            content_context={
                "post_title": post.title,
                "username": _name(post.author),
                "course_name": COURSE_NAME,
                "sender_id": post.author_id,
            },
            audience_filters={},
        )
    )


def update_published(update: CourseUpdate) -> None:
    COURSE_NOTIFICATION_REQUESTED.send_event(
        course_notification_data=CourseNotificationData(
            course_key=course_key(),
            app_name="updates",
            notification_type="course_updates",
            content_url=reverse("demo:updates") + f"#update-{update.pk}",
            content_context={
                "course_update_content": update.text[:200],
                "course_name": COURSE_NAME,
                "sender_id": update.author_id,
            },
            audience_filters={},
        )
    )


def grade_assigned(grade: Grade) -> None:
    USER_NOTIFICATION_REQUESTED.send_event(
        notification_data=UserNotificationData(
            user_ids=[grade.learner_id],
            notification_type="ora_grade_assigned",
            content_url=reverse("demo:grading") + f"#grade-{grade.pk}",
            app_name="grading",
            course_key=course_key(),
            context={
                "ora_name": grade.assignment,
                "points_earned": grade.points_earned,
                "points_possible": grade.points_possible,
                "course_name": COURSE_NAME,
                "sender_id": grade.grader_id,
            },
        )
    )
