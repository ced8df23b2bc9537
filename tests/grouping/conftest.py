"""Fixtures for the grouping tests: flags on, and a helper that sends one event through the real pipeline."""

import pytest

from platform_notifications.intake.send import notify
from tests.factories import COURSE

GROUPING = "notifications.enable_notification_grouping"


@pytest.fixture
def grouping_on(flags):
    flags("notifications.enable_notifications", GROUPING)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Send one event and run its fan-out (the request is enqueued on commit; Celery runs eagerly)."""

    def send_one(user_ids, replier="Ana", *, ntype="new_response", group="post-1", course=COURSE, url=None, **extra):
        context = {"replier_name": replier, "post_title": "Week 1", **extra}
        if group is not None:
            context["group_by_id"] = group
        with django_capture_on_commit_callbacks(execute=True):
            return notify(
                [user.pk if hasattr(user, "pk") else user for user in user_ids],
                ntype,
                url or f"/courses/{course}/posts/{group}",
                "discussion",
                course,
                context,
            )

    return send_one
