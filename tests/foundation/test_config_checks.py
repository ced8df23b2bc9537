"""System checks: ``manage.py check`` reports every configuration error with a clear message."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from platform_notifications.config import checks
from platform_notifications.config.registry import Registry
from platform_notifications.fanout.grouping import BaseGrouper, register_grouper, unregister_grouper


def _problems() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in checks.check_configuration():
        found.setdefault(message.id, []).append(message.msg)
    return found


def _type(**spec):
    return {"notification_app": "discussion", "use_app_defaults": True, **spec}


def test_shipped_configuration_is_clean():
    assert _problems() == {}
    call_command("check")


def test_type_of_unknown_app(temp_registry):
    temp_registry.type("orphan", **_type(notification_app="nowhere", content_template="x"))
    assert _problems() == {
        "platform_notifications.E001": ["notification type 'orphan' belongs to unknown app 'nowhere'"]
    }


def test_template_with_undeclared_variable(temp_registry):
    temp_registry.type("loose", **_type(content_template="{a} and {b}", content_context={"a": "A"}))
    assert _problems() == {
        "platform_notifications.E002": ["content_template of 'loose' uses undeclared variables b"],
    }


def test_grouped_template_without_grouper(temp_registry):
    temp_registry.type("lonely", **_type(content_template="x", grouped_content_template="y"))
    assert _problems() == {
        "platform_notifications.E003": ["notification type 'lonely' has a grouped_content_template but no grouper"],
    }


def test_grouped_template_with_variable_neither_declared_nor_provided(temp_registry):
    temp_registry.type("crowd", **_type(content_template="x", grouped_content_template="{count} {mystery}"))

    @register_grouper("crowd")
    class CrowdGrouper(BaseGrouper):
        provides = frozenset({"count"})

    try:
        assert _problems() == {
            "platform_notifications.E004": ["grouped_content_template of 'crowd' uses undeclared variables mystery"],
        }
    finally:
        unregister_grouper("crowd")


def test_grouper_left_for_a_removed_type(temp_registry):
    temp_registry.type("gone", **_type(content_template="x"))

    @register_grouper("gone")
    class GoneGrouper(BaseGrouper):
        pass

    from platform_notifications.config import registry

    registry.unregister(types=["gone"])
    try:
        assert _problems() == {"platform_notifications.E009": ["a grouper is registered for unknown type 'gone'"]}
    finally:
        unregister_grouper("gone")


def test_type_with_unknown_filter(temp_registry):
    temp_registry.type("picky", **_type(content_template="x", filters=["planets"]))
    found = _problems()
    assert list(found) == ["platform_notifications.E008"]
    assert "unknown filters ['planets']" in found["platform_notifications.E008"][0]


@override_settings(NOTIFICATION_TYPE_FILTERS={"filter_audit_expired_users_with_no_role": "nowhere.Rule"})
def test_type_filter_that_does_not_import():
    found = _problems()
    assert "platform_notifications.E007" in found
    assert "nowhere.Rule" in found["platform_notifications.E007"][0]


@override_settings(NOTIFICATION_AUDIENCE_FILTERS={"cohorts": "nowhere.Cohorts"})
def test_audience_filter_class_that_does_not_import():
    found = _problems()
    assert "platform_notifications.E007" in found
    assert "cohorts: cannot import 'nowhere.Cohorts'" in found["platform_notifications.E007"][0]


@override_settings(NOTIFICATION_CHANNELS=["nowhere.SmokeSignals"])
def test_channel_class_that_does_not_import():
    assert "cannot import 'nowhere.SmokeSignals'" in _problems()["platform_notifications.E007"][0]


@pytest.mark.parametrize(
    ("setting", "value", "check_id", "message"),
    [
        ("NOTIFICATION_APPS_OVERRIDE", {"forum": {"web": False}}, "E005", "names unknown entry 'forum'"),
        ("NOTIFICATION_TYPES_OVERRIDE", {"new_thing": {"web": False}}, "E005", "names unknown entry 'new_thing'"),
        ("NOTIFICATION_TYPES_OVERRIDE", ["content_reported"], "E005", "must be a dict"),
        ("NOTIFICATION_APPS_OVERRIDE", {"discussion": {"email_cadence": "Hourly"}}, "E006", "email_cadence"),
        ("NOTIFICATION_APPS_OVERRIDE", {"discussion": {"non_editable": ["sms"]}}, "E006", "non_editable"),
        ("NOTIFICATION_APPS_OVERRIDE", {"discussion": {"web": "off"}}, "E006", "'web' must be True or False"),
        ("NOTIFICATION_APPS_OVERRIDE", {"discussion": ["web"]}, "E006", "must be a dict"),
        ("NOTIFICATION_TYPES_OVERRIDE", {"content_reported": {"colour": 1}}, "E006", "unknown key 'colour'"),
        ("NOTIFICATION_TYPES_OVERRIDE", {"new_response": {"web": False}}, "W001", "has no effect"),
    ],
)
def test_override_problems(setting, value, check_id, message):
    with override_settings(**{setting: value}):
        found = _problems()
    assert list(found) == [f"platform_notifications.{check_id}"]
    assert message in found[f"platform_notifications.{check_id}"][0]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR", 24),
        ("NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE", -1),
        ("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY", 7),
        ("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR", "17"),
        ("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_MINUTE", 60),
        ("NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES", True),
        ("NOTIFICATIONS_EXPIRY", 0),
        ("NOTIFICATION_CREATION_BATCH_SIZE", 0),
        ("NOTIFICATIONS_PURGE_BATCH_SIZE", 0),
        ("NOTIFICATION_REQUEST_STALE_MINUTES", None),
    ],
)
def test_out_of_range_settings(setting, value):
    with override_settings(**{setting: value}):
        found = _problems()
    assert list(found) == ["platform_notifications.W002"]
    assert found["platform_notifications.W002"] == [f"{setting}={value!r} is outside " + _range(setting)]


def _range(setting: str) -> str:
    low, high = checks.RANGES[setting]
    return f"{low}..{high}; it will be clamped"


def test_malformed_settings_dict_is_reported(monkeypatch):
    bad = {"broken": {"notification_app": "discussion"}}
    with override_settings(NOTIFICATION_TYPES=bad):
        monkeypatch.setattr(checks, "registry", Registry())
        found = _problems()
    assert list(found) == ["platform_notifications.E000"]
    assert "'content_template' is required" in found["platform_notifications.E000"][0]


def test_manage_py_check_fails_on_an_error(temp_registry):
    temp_registry.type("orphan", **_type(notification_app="nowhere", content_template="x"))
    with pytest.raises(SystemCheckError, match="belongs to unknown app 'nowhere'"):
        call_command("check")


@override_settings(NOTIFICATIONS_JWT_KEYS_EPHEMERAL=True, DEBUG=False)
def test_keys_made_for_one_process_are_reported():
    assert list(_problems()) == ["platform_notifications.W030"]


@override_settings(NOTIFICATIONS_JWT_KEYS_EPHEMERAL=True, DEBUG=True)
def test_keys_made_for_one_process_are_fine_in_debug():
    assert _problems() == {}


def test_key_file_gives_every_process_the_same_pair(tmp_path, monkeypatch):
    from settings.keys import signing_keys

    monkeypatch.delenv("JWT_PRIVATE_SIGNING_JWK", raising=False)
    monkeypatch.delenv("JWT_PUBLIC_SIGNING_JWK_SET", raising=False)
    key_file = tmp_path / "var" / "jwt-keys.json"
    first = signing_keys(key_file)
    second = signing_keys(key_file)
    assert first == second and first[2] is False
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.joinpath("var").iterdir()) == [key_file]
    # Without a file each call makes a new pair, and says so.
    assert signing_keys()[2] is True and signing_keys()[0] != signing_keys()[0]
