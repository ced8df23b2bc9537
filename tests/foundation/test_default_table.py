"""The shipped defaults are Open edX's (Verawood ``base_notification.py``), every app and type pinned.

Then the two override examples of Open edX's operator docs, checked where a learner meets them: the
preferences answer, a refused change, and the rows a fan-out writes.
"""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from platform_notifications.config import Cadence, Channel, registry
from platform_notifications.config.enums import BUNDLED_TYPE
from platform_notifications.models import Notification, NotificationPreference
from tests.api.conftest import ApiClient
from tests.factories import PreferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

AUDIT = ("filter_audit_expired_users_with_no_role",)
MODERATORS = ("Administrator", "Moderator", "Community TA")
STAFF = ("staff", "instructor")

# app -> (web, email, push, cadence, non_editable) of its bundled row.
APPS = {
    "discussion": (True, True, True, "Daily", set()),
    "updates": (True, True, True, "Daily", set()),
    "grading": (True, True, True, "Daily", set()),
}
# type -> (app, bundled, (web, email, push, cadence, non_editable) or None when bundled, visible_to, filters)
TYPES = {
    "new_comment_on_response": ("discussion", True, None, (), AUDIT),
    "new_comment": ("discussion", True, None, (), AUDIT),
    "new_response": ("discussion", True, None, (), AUDIT),
    "response_on_followed_post": ("discussion", True, None, (), AUDIT),
    "comment_on_followed_post": ("discussion", True, None, (), AUDIT),
    "response_endorsed_on_thread": ("discussion", True, None, (), AUDIT),
    "response_endorsed": ("discussion", True, None, (), AUDIT),
    "new_discussion_post": ("discussion", False, (False, False, False, "Daily", {"push"}), (), AUDIT),
    "new_question_post": ("discussion", False, (False, False, False, "Daily", {"push"}), (), AUDIT),
    "content_reported": ("discussion", False, (True, True, False, "Daily", {"push"}), MODERATORS, ()),
    "new_instructor_all_learners_post": ("discussion", False, (True, True, False, "Daily", {"push"}), (), AUDIT),
    "course_updates": ("updates", False, (True, True, False, "Daily", {"push"}), (), AUDIT),
    "ora_staff_notifications": ("grading", False, (True, False, False, "Daily", {"push"}), STAFF, AUDIT),
    "ora_grade_assigned": ("grading", False, (True, True, False, "Daily", {"push"}), (), AUDIT),
    # This project's own type (not in Open edX): ora_grade_assigned's defaults.
    "ora_reminder": ("grading", False, (True, True, False, "Daily", {"push"}), (), AUDIT),
}


def _row(defaults) -> tuple:
    locked = {channel.value for channel in defaults.non_editable}
    return (defaults.web, defaults.email, defaults.push, defaults.email_cadence.value, locked)


def test_every_app_as_open_edx_ships_it():
    assert {name: _row(registry.app_defaults(name)) for name in registry.apps()} == APPS
    assert all(app.enabled for app in registry.apps().values())


def test_every_type_as_open_edx_ships_it():
    found = {}
    for name, ntype in registry.types().items():
        own = None if ntype.use_app_defaults else _row(registry.type_defaults(ntype))
        found[name] = (ntype.app_name, ntype.use_app_defaults, own, ntype.visible_to, ntype.filters)
    assert found == TYPES


def test_only_the_seven_activity_types_share_the_bundled_row():
    bundled = {name for name, ntype in registry.types().items() if ntype.preference_key == BUNDLED_TYPE}
    assert bundled == {
        "new_response",
        "new_comment",
        "new_comment_on_response",
        "response_on_followed_post",
        "comment_on_followed_post",
        "response_endorsed_on_thread",
        "response_endorsed",
    }


def _rows(api: ApiClient) -> dict:
    return api.get("v3/configurations/").json()["data"]


# -- Open edX's documented type override -------------------------------------------------------------------
COURSE_UPDATES_LOCKED = {"course_updates": {"email": False, "non_editable": ["email"]}}


def test_course_updates_has_its_own_row_on_the_preferences_page(all_flags_on):
    data = _rows(ApiClient(UserFactory()))
    row = data["updates"]["notification_types"]
    assert list(row) == ["course_updates"]
    assert {k: row["course_updates"][k] for k in ("web", "email", "push", "email_cadence")} == {
        "web": True,
        "email": True,
        "push": False,
        "email_cadence": "Daily",
    }
    assert data["updates"]["non_editable"] == {"course_updates": ["push"]}


@override_settings(NOTIFICATION_TYPES_OVERRIDE=COURSE_UPDATES_LOCKED)
def test_documented_course_updates_override_through_the_api(all_flags_on, caplog):
    user = UserFactory()
    api = ApiClient(user)
    with caplog.at_level(logging.WARNING, logger="platform_notifications"):
        data = _rows(api)
    # The override is used, not ignored with a warning.
    assert not [record for record in caplog.records if record.name.startswith("platform_notifications")]
    assert data["updates"]["notification_types"]["course_updates"]["email"] is False
    assert data["updates"]["non_editable"] == {"course_updates": ["email"]}
    change = {
        "notification_app": "updates",
        "notification_type": "course_updates",
        "notification_channel": "email",
        "value": True,
        "email_cadence": "Daily",
    }
    response = api.put("v3/configurations/", change)
    assert response.status_code == 400
    assert not NotificationPreference.objects.filter(user=user).exists()


@override_settings(NOTIFICATION_TYPES_OVERRIDE=COURSE_UPDATES_LOCKED)
def test_documented_course_updates_override_in_fanned_out_rows(all_flags_on, send):
    learner, chose_email = UserFactory(), UserFactory()
    # A choice stored before the operator locked the channel does not reopen it.
    PreferenceFactory(user=chose_email, app_name="updates", notification_type="course_updates", email=True)
    send([learner.id, chose_email.id], "course_updates", app_name="updates", context={"course_update_content": "x"})
    rows = Notification.objects.filter(notification_type="course_updates").values_list("user_id", "web", "email")
    assert sorted(rows) == sorted([(learner.id, True, False), (chose_email.id, True, False)])
    # The bundled discussion row is untouched by a type override.
    assert registry.app_defaults("discussion").email is True


# -- Open edX's documented app override ---------------------------------------------------------------------
DISCUSSION_APP = {"discussion": {"email": False, "web": True, "email_cadence": "Immediately"}}


@override_settings(NOTIFICATION_APPS_OVERRIDE=DISCUSSION_APP)
def test_documented_discussion_app_override_through_the_api(all_flags_on):
    data = _rows(ApiClient(UserFactory()))["discussion"]["notification_types"]
    grouped = data[BUNDLED_TYPE]
    assert (grouped["web"], grouped["email"]) == (True, False)
    # The types with their own row keep their own defaults.
    assert (data["new_discussion_post"]["web"], data["new_discussion_post"]["email"]) == (False, False)


@override_settings(NOTIFICATION_APPS_OVERRIDE=DISCUSSION_APP)
def test_documented_discussion_app_override_in_fanned_out_rows(all_flags_on, send):
    learner, emailed = UserFactory(), UserFactory()
    PreferenceFactory(user=emailed, notification_type=BUNDLED_TYPE, email=True)
    send([learner.id, emailed.id], "new_comment", context={"replier_name": "a", "author_name": "b", "post_title": "c"})
    values = Notification.objects.values_list("user_id", "web", "email", "email_cadence")
    rows = {uid: (web, email, cadence) for uid, web, email, cadence in values}
    # The operator's cadence reaches the learner who switched email on without choosing one.
    assert rows == {learner.id: (True, False, ""), emailed.id: (True, True, Cadence.IMMEDIATELY.value)}


@override_settings(NOTIFICATION_APPS_OVERRIDE=DISCUSSION_APP)
def test_type_override_of_a_bundled_type_is_ignored_as_documented(all_flags_on, send):
    # Open edX: a use_app_defaults type ignores NOTIFICATION_TYPES_OVERRIDE; the app override governs it.
    with override_settings(NOTIFICATION_TYPES_OVERRIDE={"new_response": {"email": True}}):
        assert registry.type_defaults(registry.get_type("new_response")).email is False
        assert Channel.EMAIL not in registry.type_defaults(registry.get_type("new_response")).non_editable
