"""The typed registry: shipped apps and types, consumer registration, validation and overrides read on use."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from platform_notifications.config import BUNDLED_TYPE, Cadence, Channel, registry
from platform_notifications.config.registry import Registry, build_app, build_type

# CONTRACT.md section 2: the types a platform expects, with their template variables.
EXPECTED_TYPES = {
    "new_response": ("discussion", {"replier_name", "post_title"}),
    "new_comment": ("discussion", {"replier_name", "author_name", "post_title"}),
    "new_comment_on_response": ("discussion", {"replier_name", "post_title"}),
    "response_on_followed_post": ("discussion", {"replier_name", "post_title"}),
    "comment_on_followed_post": ("discussion", {"replier_name", "author_name", "post_title"}),
    "response_endorsed_on_thread": ("discussion", {"replier_name", "post_title"}),
    "response_endorsed": ("discussion", {"post_title"}),
    "new_discussion_post": ("discussion", {"username", "post_title"}),
    "new_question_post": ("discussion", {"username", "post_title"}),
    "content_reported": ("discussion", {"username", "content_type", "content"}),
    "new_instructor_all_learners_post": ("discussion", {"post_title"}),
    "course_updates": ("updates", {"course_update_content"}),
    "ora_staff_notifications": ("grading", {"ora_name"}),
    "ora_grade_assigned": ("grading", {"ora_name", "points_earned", "points_possible"}),
    "ora_reminder": ("grading", {"ora_name", "pending_step"}),
}

APP = {"web": True, "email": False, "push": False}
TYPE = {"notification_app": "discussion", "content_template": "<{p}>{title}</{p}>", "content_context": {"title": "t"}}


def test_shipped_apps():
    assert set(registry.apps()) == {"discussion", "updates", "grading"}
    for app in registry.apps().values():
        assert app.enabled
        assert app.base_defaults.email_cadence in Cadence


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED_TYPES.items()))
def test_shipped_type_uses_exactly_its_context_variables(name, expected):
    app_name, variables = expected
    ntype = registry.get_type(name)
    assert ntype.app_name == app_name
    assert ntype.template_fields == variables
    assert set(ntype.content_context) == variables


def test_exactly_fifteen_shipped_types():
    assert set(registry.types()) == set(EXPECTED_TYPES)


def test_bundled_types_share_the_app_row():
    assert registry.get_type("new_response").preference_key == BUNDLED_TYPE
    assert registry.get_type("content_reported").preference_key == "content_reported"


@pytest.mark.parametrize(
    "spec",
    [
        {"web": True, "email": False, "push": False},
        # Open edX's older spelling of the app's bundled defaults.
        {"core_web": True, "core_email": False, "core_push": False, "core_info": "x", "core_email_cadence": "Weekly"},
    ],
)
def test_build_app_accepts_both_spellings(spec):
    app = build_app("forum", spec)
    assert app.base_defaults.web is True
    assert app.base_defaults.email is False


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("forum", {**APP, "colour": "red"}, "unknown keys"),
        ("forum", {**APP, "web": "yes"}, "'web' must be True or False"),
        ("forum", {"web": True, "email": False}, "'push' must be True or False"),
        ("forum", {**APP, "email_cadence": "Hourly"}, "unknown email_cadence"),
        ("forum", {**APP, "non_editable": ["sms"]}, "non_editable"),
        ("forum", {**APP, "non_editable": "push"}, "non_editable"),
        ("my_forum", APP, "one lower-case word"),
        ("Forum", APP, "one lower-case word"),
        ("forum", ["web"], "must be a dict"),
    ],
)
def test_malformed_app_is_refused(name, spec, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        build_app(name, spec)


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("t", {**TYPE, "use_app_defaults": True, "colour": 1}, "unknown keys"),
        ("t", {k: v for k, v in TYPE.items() if k != "notification_app"}, "'notification_app' is required"),
        ("t", {**TYPE, "use_app_defaults": True, "content_template": ""}, "'content_template' is required"),
        ("t", {**TYPE, "use_app_defaults": True, "name": "other"}, "'name' must equal the key"),
        ("t", {**TYPE, "use_app_defaults": True, "content_context": ["title"]}, "'content_context' must be a dict"),
        ("t", {**TYPE, "use_app_defaults": False}, "'web' must be True or False"),
        ("t", {**TYPE, **APP, "email_cadence": "Sometimes"}, "unknown email_cadence"),
        ("t", {**TYPE, "use_app_defaults": True, "content_template": "{title.__class__}"}, "plain variable"),
        ("t", {**TYPE, "use_app_defaults": True, "content_template": "{title[0]}"}, "plain variable"),
        ("t", {**TYPE, "use_app_defaults": True, "content_template": "{title!r}"}, "conversion"),
        ("t", {**TYPE, "use_app_defaults": True, "content_template": "{title:>99999}"}, "format spec"),
        ("t", {**TYPE, "use_app_defaults": True, "content_template": "{}"}, "plain variable"),
        ("t", {**TYPE, "use_app_defaults": True, "content_template": "{title"}, "template"),
        ("t", {**TYPE, "use_app_defaults": True, "grouped_content_template": "{x!s}"}, "conversion"),
        ("t", {**TYPE, "use_app_defaults": True, "filters": "cohorts"}, "filters"),
        ("t", {**TYPE, "use_app_defaults": True, "visible_to": "staff"}, "visible_to"),
        (BUNDLED_TYPE, {**TYPE, "use_app_defaults": True}, "reserved"),
        ("*", {**TYPE, "use_app_defaults": True}, "reserved"),
        ("x" * 65, {**TYPE, "use_app_defaults": True}, "64"),
    ],
)
def test_malformed_type_is_refused(name, spec, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        build_type(name, spec)


def test_consumer_registers_app_and_type(temp_registry):
    temp_registry.app("wiki", email=True, email_cadence="Weekly")
    ntype = temp_registry.type("page_edited", notification_app="wiki", use_app_defaults=True, **_template())
    assert registry.get_type("page_edited") is ntype
    assert [t.name for t in registry.types_of("wiki")] == ["page_edited"]
    assert registry.type_defaults(ntype).email_cadence == Cadence.WEEKLY


def test_unregister_removes_temporary_entries(temp_registry):
    temp_registry.app("wiki")
    registry.unregister(apps=["wiki"])
    assert registry.get_app("wiki") is None


@pytest.mark.parametrize("kind", ["app", "type"])
def test_duplicate_registration_is_refused(kind, temp_registry):
    if kind == "app":
        with pytest.raises(ImproperlyConfigured, match="registered twice"):
            temp_registry.app("discussion")
    else:
        with pytest.raises(ImproperlyConfigured, match="registered twice"):
            temp_registry.type("new_response", notification_app="discussion", use_app_defaults=True, **_template())
    # The shipped entry is untouched.
    assert registry.get_type("new_response").template_fields == {"replier_name", "post_title"}


def _template():
    return {"content_template": "<{p}>{page}</{p}>", "content_context": {"page": "Page title"}}


@override_settings(
    NOTIFICATION_APPS={"wiki": {"web": True, "email": True, "push": False, "email_cadence": "Weekly"}},
    NOTIFICATION_TYPES={"page_edited": {"notification_app": "wiki", "use_app_defaults": True, **_template()}},
)
def test_fresh_registry_reads_the_settings_dicts():
    fresh = Registry()
    assert set(fresh.apps()) == {"discussion", "updates", "grading", "wiki"}
    assert fresh.get_type("page_edited").app_name == "wiki"
    assert fresh.type_defaults(fresh.get_type("page_edited")).email is True


@pytest.mark.parametrize(
    "overrides",
    [
        {"NOTIFICATION_APPS": {"discussion": APP}},
        {"NOTIFICATION_TYPES": {"new_response": {**TYPE, "use_app_defaults": True}}},
        {"NOTIFICATION_TYPES": {"broken": {"notification_app": "discussion"}}},
    ],
)
def test_duplicate_or_malformed_settings_entry_fails_every_load(overrides):
    with override_settings(**overrides):
        fresh = Registry()
        with pytest.raises(ImproperlyConfigured):
            fresh.apps()
        # A failed load is not left half done: the next read reports the error again.
        with pytest.raises(ImproperlyConfigured):
            fresh.types()


def test_type_override_read_on_use():
    ntype = registry.get_type("content_reported")
    assert registry.type_defaults(ntype).web is True
    with override_settings(NOTIFICATION_TYPES_OVERRIDE={"content_reported": {"web": False, "email_cadence": "Weekly"}}):
        defaults = registry.type_defaults(ntype)
        assert (defaults.web, defaults.email_cadence) == (False, Cadence.WEEKLY)
    assert registry.type_defaults(ntype).web is True


def test_bundled_type_takes_the_app_override_not_a_type_override():
    ntype = registry.get_type("new_response")
    with override_settings(
        NOTIFICATION_APPS_OVERRIDE={"discussion": {"push": True, "non_editable": ["web"]}},
        NOTIFICATION_TYPES_OVERRIDE={"new_response": {"push": False}},
    ):
        defaults = registry.type_defaults(ntype)
    assert defaults.push is True
    assert defaults.non_editable == frozenset({Channel.WEB})


def test_invalid_override_values_are_ignored_and_logged(caplog):
    fresh = Registry()
    ntype = fresh.get_type("content_reported")
    override = {"content_reported": {"web": "no", "email_cadence": "Hourly", "colour": 1, "push": True}}
    with caplog.at_level("WARNING"), override_settings(NOTIFICATION_TYPES_OVERRIDE=override):
        defaults = fresh.type_defaults(ntype)
        fresh.type_defaults(ntype)
    assert (defaults.web, defaults.email_cadence, defaults.push) == (True, Cadence.DAILY, True)
    warnings = [r.getMessage() for r in caplog.records if "NOTIFICATION_TYPES_OVERRIDE" in r.getMessage()]
    assert len(warnings) == 1  # once per process, not per read
    assert "unknown key 'colour'" in warnings[0]
    assert "'web' must be True or False" in warnings[0]
