"""The kinds registry: registration, lookup, the dict types as kinds, and the checks that report bad registrations."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from platform_notifications import service
from platform_notifications.config import Channel, registry
from platform_notifications.config.kinds import registry as kinds
from platform_notifications.models import Notification
from tests.factories import UserFactory


def test_register_get_and_all(register_kind):
    info = register_kind("billing.payment_due", "Payment due", default_priority=service.Priority.HIGH)
    assert service.registry.get("billing.payment_due") == info
    assert (info.app, info.default_priority, info.can_suppress, info.default_opt_in) == ("billing", 2, True, True)
    names = [kind.kind for kind in service.registry.all()]
    assert names == sorted(names)
    assert {"billing.payment_due", "discussion.new_response", "updates.course_updates"} <= set(names)
    # The app is a tray app like any other; the kind is a type of it.
    assert registry.get_app("billing") is not None
    assert registry.get_type("billing.payment_due").app_name == "billing"


def test_dict_types_are_kinds():
    info = service.registry.get("discussion.new_response")
    assert (info.app, info.type_name, info.free_text) == ("discussion", "new_response", False)
    assert service.registry.get("grading.new_response") is None  # the app must own the type
    assert service.registry.get("nothing.here") is None
    assert service.registry.get(42) is None


def test_second_registration_raises(register_kind):
    register_kind("billing.payment_due", "Payment due")
    with pytest.raises(ValueError, match="registered twice"):
        service.registry.register("billing.payment_due", "Again")
    with pytest.raises(ValueError, match="registered twice"):
        service.registry.register("discussion.new_response", "Taken by the dict types")


@pytest.mark.parametrize(
    ("kind", "defaults", "message"),
    [
        ("billing.sms_sent", {"sms": True}, "unknown keys"),
        ("My_App.thing", {}, "one lower-case word"),
        ("billing_x", {}, "dotted"),
        ("billing.thing", {"email_cadence": "Hourly"}, "email_cadence"),
        ("billing.thing", {"non_editable": ["fax"]}, "non_editable"),
        ("billing.thing", {"web": "yes"}, "True or False"),
    ],
)
def test_bad_registration_is_reported_by_checks_and_unusable(db, kind, defaults, message):
    try:
        assert service.registry.register(kind, "Bad", **defaults) is None
        errors = [e for e in run_checks() if e.id == "platform_notifications.E020"]
        assert any(message in e.msg for e in errors), errors
        assert service.registry.get(kind) is None
        with pytest.raises(ValueError, match="not registered"):
            service.notify(UserFactory(), kind, title="x")
        assert not Notification.objects.exists()
    finally:
        kinds.unregister(kind)
    assert not [e for e in run_checks() if e.id == "platform_notifications.E020"]


def test_can_suppress_false_locks_every_channel(register_kind):
    register_kind("security.password_changed", "Password changed", can_suppress=False)
    defaults = registry.type_defaults(registry.get_type("security.password_changed"))
    assert defaults.non_editable == frozenset(Channel)
    assert service.registry.get("security.password_changed").can_suppress is False


def test_default_opt_in_false_starts_with_every_channel_off(register_kind):
    register_kind("billing.import_complete", "Import complete", default_opt_in=False)
    defaults = registry.type_defaults(registry.get_type("billing.import_complete"))
    assert (defaults.web, defaults.email, defaults.push) == (False, False, False)
