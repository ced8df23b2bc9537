"""The preference-writing service: what is stored, and the cadence kept consistent when email is switched on."""

import pytest
from django.test.utils import override_settings

from platform_notifications.config import registry
from platform_notifications.models import NotificationPreference
from platform_notifications.preferences import changes as preference_changes
from platform_notifications.preferences import effective as preferences

pytestmark = pytest.mark.django_db


def effective(user, app="discussion", key="grouped_notification"):
    return preferences.for_user(user.pk)[(app, key)]


def own(user, app="discussion", key="grouped_notification"):
    return NotificationPreference.objects.get(user=user, app_name=app, notification_type=key)


def test_stores_only_the_chosen_channel(user):
    preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "push", value=True)
    row = own(user)
    assert (row.web, row.email, row.push, row.email_cadence) == (None, None, True, None)


@pytest.mark.parametrize(
    ("app_wide", "default", "stored", "in_effect"),
    [
        (None, "Daily", None, "Daily"),  # own Never dropped: the default applies again
        ("Never", "Daily", "Daily", "Daily"),  # the app-wide Never would apply: the default is stored
        (None, "Never", "Daily", "Daily"),  # nothing sends: Daily is stored
        ("Weekly", "Never", None, "Weekly"),  # the app-wide choice applies again
    ],
)
def test_email_on_never_leaves_a_cadence_that_sends(user, app_wide, default, stored, in_effect):
    NotificationPreference.objects.create(
        user=user, app_name="discussion", notification_type="*", email_cadence=app_wide
    )
    NotificationPreference.objects.create(
        user=user, app_name="discussion", notification_type="grouped_notification", email=False, email_cadence="Never"
    )
    with override_settings(NOTIFICATION_APPS_OVERRIDE={"discussion": {"email_cadence": default}}):
        preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email", value=True)
        assert own(user).email_cadence == stored
        assert effective(user).emails is True
        assert effective(user).email_cadence == in_effect


def test_email_on_keeps_a_cadence_that_already_sends(user):
    preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email_cadence", cadence="Weekly")
    preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email", value=True)
    assert (own(user).email, own(user).email_cadence) == (True, "Weekly")


def test_email_off_keeps_the_cadence(user):
    preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email_cadence", cadence="Weekly")
    preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email", value=False)
    assert (own(user).email, own(user).email_cadence) == (False, "Weekly")


def test_never_is_stored_as_email_off_with_the_last_real_cadence_kept(user):
    preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email_cadence", cadence="Weekly")
    preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email_cadence", cadence="Never")
    assert (own(user).email, own(user).email_cadence) == (False, "Weekly")
    assert effective(user).emails is False
    preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email", value=True)
    assert (effective(user).emails, effective(user).email_cadence) == (True, "Weekly")


def test_errors_list_the_field(user):
    with pytest.raises(preference_changes.PreferenceChangeError) as caught:
        preference_changes.set_choice(user.pk, "discussion", "grouped_notification", "email", value="on")
    assert caught.value.errors == {"value": "must be true or false, got 'on'"}
    assert not NotificationPreference.objects.exists()


def test_disabled_app_is_unknown(user):
    registry.register_app("labs", {"enabled": False, "web": True, "email": False, "push": False})
    try:
        with pytest.raises(preference_changes.PreferenceChangeError) as caught:
            preference_changes.set_choice(user.pk, "labs", "grouped_notification", "web", value=True)
    finally:
        registry.unregister(apps=["labs"])
    assert caught.value.errors == {"notification_app": "unknown notification app 'labs'"}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (
            frozenset(),
            ["grouped_notification", "new_discussion_post", "new_question_post", "new_instructor_all_learners_post"],
        ),
        (
            frozenset({"Moderator"}),
            [
                "grouped_notification",
                "new_discussion_post",
                "new_question_post",
                "content_reported",
                "new_instructor_all_learners_post",
            ],
        ),
        (
            None,
            [
                "grouped_notification",
                "new_discussion_post",
                "new_question_post",
                "content_reported",
                "new_instructor_all_learners_post",
            ],
        ),
    ],
)
def test_editable_rows_follow_roles(roles, expected):
    assert preference_changes.editable_rows("discussion", roles) == expected
