"""Registering groupers: unknown types, duplicates, system checks and a consumer app's own grouper."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from platform_notifications import BaseGrouper, register_grouper
from platform_notifications.config import registry
from platform_notifications.config.checks import check_configuration
from platform_notifications.config.rendering import GROUPED_FLAG
from platform_notifications.fanout.grouping import get_grouper, groupers, unregister_grouper
from platform_notifications.models import Notification

TEMP_TYPE = "badge_awarded"


def badge_type(**extra):
    return {
        "notification_app": "grading",
        "content_template": "<{p}>You earned the <{strong}>{badge}</{strong}> badge</{p}>",
        "content_context": {"badge": "Name of the badge"},
        "web": True,
        "email": False,
        "push": False,
        "email_cadence": "Daily",
        **extra,
    }


@pytest.fixture
def temp_type():
    """A type a consumer app registers for itself, removed (with its grouper) after the test."""

    def register(**extra):
        return registry.register_type(TEMP_TYPE, badge_type(**extra))

    yield register
    unregister_grouper(TEMP_TYPE)
    registry.unregister(types=[TEMP_TYPE])


def errors(code):
    return [message for message in check_configuration() if message.id == f"platform_notifications.{code}"]


def test_builtin_groupers_are_registered():
    assert set(groupers()) >= {
        "new_response",
        "response_on_followed_post",
        "new_comment",
        "new_discussion_post",
        "ora_staff_notifications",
    }
    assert check_configuration() == []


def test_unknown_type_is_refused():
    with pytest.raises(ImproperlyConfigured, match="unknown type 'no_such_type'"):

        @register_grouper("no_such_type")
        class Orphan(BaseGrouper):
            pass

    assert "no_such_type" not in groupers()


def test_second_grouper_for_a_type_is_refused():
    with pytest.raises(ImproperlyConfigured, match="already has a grouper"):

        @register_grouper("new_response")
        class Another(BaseGrouper):
            pass

    assert groupers()["new_response"].__name__ == "NewResponseGrouper"


def test_only_groupers_can_be_registered():
    with pytest.raises(ImproperlyConfigured, match="is not a BaseGrouper"):
        register_grouper("new_response")(object)


def test_grouped_template_without_grouper_is_reported(temp_type):
    temp_type(grouped_content_template="<{p}>{badge_count} badges</{p}>")
    assert [e.msg for e in errors("E003")] == [
        f"notification type {TEMP_TYPE!r} has a grouped_content_template but no grouper"
    ]


def test_grouped_template_variables_must_be_declared_or_provided(temp_type):
    temp_type(grouped_content_template="<{p}>{badge_count} badges, latest {badge}, {mystery}</{p}>")

    @register_grouper(TEMP_TYPE)
    class BadgeGrouper(BaseGrouper):
        provides = frozenset({"badge_count"})

        def group(self, existing, new, sender=None):
            return {**new, "badge_count": existing.get("badge_count", 1) + 1, GROUPED_FLAG: True}

    problems = errors("E004")
    assert len(problems) == 1 and "mystery" in problems[0].msg and "badge_count" not in problems[0].msg


def test_grouper_left_behind_by_a_removed_type_is_reported(temp_type):
    temp_type()

    @register_grouper(TEMP_TYPE)
    class BadgeGrouper(BaseGrouper):
        def group(self, existing, new, sender=None):
            return dict(new)

    registry.unregister(types=[TEMP_TYPE])
    assert [e.msg for e in errors("E009")] == [f"a grouper is registered for unknown type {TEMP_TYPE!r}"]


def test_unregistered_grouper_stops_grouping(temp_type):
    temp_type()
    register_grouper(TEMP_TYPE)(type("BadgeGrouper", (BaseGrouper,), {"group": lambda self, e, n, sender=None: n}))
    assert get_grouper(TEMP_TYPE) is not None
    unregister_grouper(TEMP_TYPE)
    assert get_grouper(TEMP_TYPE) is None


@pytest.mark.django_db
def test_consumer_app_grouper_groups_its_own_type(temp_type, grouping_on, users, django_capture_on_commit_callbacks):
    from platform_notifications.intake.send import notify

    temp_type(
        grouped_content_template="<{p}>You earned {badge_count} badges, latest <{strong}>{badge}</{strong}></{p}>"
    )

    @register_grouper(TEMP_TYPE)
    class BadgeGrouper(BaseGrouper):
        provides = frozenset({"badge_count"})

        def start(self, new, sender=None):
            return {**new, "badge_count": 1}

        def group(self, existing, new, sender=None):
            return {**new, "badge_count": existing["badge_count"] + 1, GROUPED_FLAG: True}

    for badge in ("Gold", "Silver", "Bronze"):
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                [users[0].pk], TEMP_TYPE, "/badges", "grading", "course-v1:O+N+R", {"badge": badge, "group_by_id": "b"}
            )
    row = Notification.objects.get(user=users[0])
    assert row.content_context["badge_count"] == 3
    assert row.content == "<p>You earned 3 badges, latest <strong>Bronze</strong></p>"
    assert check_configuration() == []
