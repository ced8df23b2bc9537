"""Preferences: stored choices over configured defaults (read on use), and what the fan-out creates from them."""

from __future__ import annotations

import pytest
from django.test import override_settings

from platform_notifications.config import registry
from platform_notifications.config.enums import APP_WIDE_TYPE, BUNDLED_TYPE, Cadence
from platform_notifications.models import Notification, UserNotificationSettings
from platform_notifications.preferences import effective as preferences
from platform_notifications.preferences.effective import Effective
from tests.factories import PreferenceFactory, UserFactory
from tests.foundation.conftest import recipients

pytestmark = pytest.mark.django_db

RESPONSE = registry.get_type("new_response")  # bundled: governed by discussion/grouped_notification
REPORTED = registry.get_type("content_reported")  # its own row; defaults web+email on, Daily
INSTRUCTOR_POST = registry.get_type("new_instructor_all_learners_post")  # web on, email off


def _effective(ntype, user) -> Effective:
    return preferences.for_users(ntype, [user.id])[user.id]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({}, Effective(web=True, email=True, push=False, email_cadence=Cadence.DAILY)),
        ({"web": False}, Effective(web=False, email=True, push=False, email_cadence=Cadence.DAILY)),
        # Push is locked (non_editable) for every own-row type in Open edX: a stored push is ignored.
        ({"email": False, "push": True}, Effective(web=True, email=False, push=False, email_cadence=Cadence.DAILY)),
        ({"email_cadence": "Weekly"}, Effective(web=True, email=True, push=False, email_cadence=Cadence.WEEKLY)),
        # A row with every field null is "not chosen": the defaults apply.
        ({"web": None, "email": None}, Effective(web=True, email=True, push=False, email_cadence=Cadence.DAILY)),
    ],
)
def test_stored_choice_beats_default(stored, expected):
    user = UserFactory()
    if stored:
        PreferenceFactory(user=user, app_name="discussion", notification_type="content_reported", **stored)
    assert _effective(REPORTED, user) == expected


def test_bundled_types_read_the_apps_bundled_row():
    user = UserFactory()
    PreferenceFactory(user=user, app_name="discussion", notification_type=BUNDLED_TYPE, web=False)
    assert _effective(RESPONSE, user).web is False
    # A type with its own row is not governed by the bundled row.
    assert _effective(REPORTED, user).web is True


def test_app_wide_row_covers_types_without_their_own_choice():
    user = UserFactory()
    PreferenceFactory(user=user, app_name="discussion", notification_type=APP_WIDE_TYPE, web=False, email=False)
    PreferenceFactory(user=user, app_name="discussion", notification_type="content_reported", web=True)
    assert (_effective(RESPONSE, user).web, _effective(RESPONSE, user).email) == (False, False)
    # The type's own choice wins over the app-wide one, field by field.
    assert (_effective(REPORTED, user).web, _effective(REPORTED, user).email) == (True, False)
    # Another app is untouched.
    assert _effective(registry.get_type("course_updates"), user).web is True


def test_email_opt_out_turns_off_email_without_an_explicit_choice():
    opted, chose = UserFactory(), UserFactory()
    for user in (opted, chose):
        UserNotificationSettings.objects.create(user=user, email_opt_out=True)
    PreferenceFactory(user=chose, app_name="discussion", notification_type="content_reported", email=True)
    assert _effective(REPORTED, opted).email is False
    assert _effective(REPORTED, opted).web is True
    assert _effective(REPORTED, chose).email is True


def test_non_editable_channel_ignores_the_stored_choice():
    user = UserFactory()
    PreferenceFactory(user=user, app_name="discussion", notification_type=BUNDLED_TYPE, web=False, push=True)
    with override_settings(NOTIFICATION_APPS_OVERRIDE={"discussion": {"non_editable": ["web"]}}):
        effective = _effective(RESPONSE, user)
    assert (effective.web, effective.push) == (True, True)


def test_override_reaches_users_without_a_choice_only():
    chose, default = UserFactory(), UserFactory()
    PreferenceFactory(user=chose, app_name="discussion", notification_type="content_reported", web=True)
    with override_settings(NOTIFICATION_TYPES_OVERRIDE={"content_reported": {"web": False}}):
        prefs = preferences.for_users(REPORTED, [chose.id, default.id])
    assert (prefs[chose.id].web, prefs[default.id].web) == (True, False)


def test_cadence_never_means_no_email():
    never = Effective(web=False, email=True, push=False, email_cadence=Cadence.NEVER)
    assert (never.emails, never.any()) == (False, False)


def test_for_users_costs_two_queries_whatever_the_number(django_assert_num_queries):
    users = UserFactory.create_batch(30)
    for user in users[::3]:
        PreferenceFactory(user=user, app_name="discussion", notification_type=BUNDLED_TYPE, web=False)
    with django_assert_num_queries(2):
        prefs = preferences.for_users(RESPONSE, [u.id for u in users])
    assert sum(not p.web for p in prefs.values()) == 10


def test_for_user_lists_every_preference_row(django_assert_num_queries):
    user = UserFactory()
    PreferenceFactory(user=user, app_name="grading", notification_type="ora_reminder", email_cadence="Weekly")
    with django_assert_num_queries(2):
        rows = preferences.for_user(user.id)
    assert ("discussion", BUNDLED_TYPE) in rows
    assert ("discussion", "new_response") not in rows  # shown through the bundled row
    assert rows[("grading", "ora_reminder")].email_cadence == Cadence.WEEKLY


# -- what the fan-out creates ----------------------------------------------------------------------


@pytest.mark.usefixtures("notifications_on")
def test_created_when_web_is_on_with_the_channels_recorded(send):
    on, off = UserFactory(), UserFactory()
    PreferenceFactory(user=off, app_name="discussion", notification_type="new_instructor_all_learners_post", web=False)
    send([on.id, off.id], "new_instructor_all_learners_post", context={"post_title": "Welcome"})
    row = Notification.objects.get()
    assert row.user_id == on.id
    # The email flag is off: email is not recorded as applying, whatever the preference.
    assert (row.web, row.email, row.push, row.email_cadence) == (True, False, False, "")


WEB_OFF_EMAIL_ON = {"new_instructor_all_learners_post": {"web": False, "email": True, "email_cadence": "Weekly"}}


@override_settings(NOTIFICATION_TYPES_OVERRIDE=WEB_OFF_EMAIL_ON)
def test_web_off_email_on_default_reaches_users_without_a_preference(flags, send):
    flags("notifications.enable_notifications", "notifications.enable_email_notifications")
    default, no_email = UserFactory(), UserFactory()
    PreferenceFactory(
        user=no_email, app_name="discussion", notification_type="new_instructor_all_learners_post", email=False
    )
    send([default.id, no_email.id], "new_instructor_all_learners_post", context={"post_title": "Welcome"})
    row = Notification.objects.get()
    assert row.user_id == default.id
    assert (row.web, row.email, row.email_cadence) == (False, True, "Weekly")
    # Not in the tray: the web channel is off for this row.
    assert not Notification.objects.in_tray().exists()


@override_settings(NOTIFICATION_TYPES_OVERRIDE=WEB_OFF_EMAIL_ON)
def test_web_off_email_on_creates_nothing_while_email_is_switched_off(notifications_on, send, users):
    send([u.id for u in users], "new_instructor_all_learners_post", context={"post_title": "Welcome"})
    assert not Notification.objects.exists()


def test_push_recorded_when_its_flag_and_preference_are_on(flags, send):
    flags("notifications.enable_notifications", "notifications.enable_push_notifications")
    pushed, plain = UserFactory(), UserFactory()
    PreferenceFactory(user=pushed, app_name="discussion", notification_type=BUNDLED_TYPE, push=True)
    # The bundled row defaults push on (as Open edX's apps do): this user switched it off.
    PreferenceFactory(user=plain, app_name="discussion", notification_type=BUNDLED_TYPE, push=False)
    send([pushed.id, plain.id])
    assert dict(Notification.objects.values_list("user_id", "push")) == {pushed.id: True, plain.id: False}


@pytest.mark.usefixtures("notifications_on")
def test_override_changes_who_is_notified_on_the_next_send(send):
    chose, default = UserFactory(), UserFactory()
    PreferenceFactory(user=chose, app_name="discussion", notification_type="content_reported", web=True)
    context = {"username": "u", "content_type": "post", "content": "c"}
    with override_settings(NOTIFICATION_TYPES_OVERRIDE={"content_reported": {"web": False}}):
        send([chose.id, default.id], "content_reported", context=context)
    assert recipients() == [chose.id]
