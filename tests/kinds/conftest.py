"""Fixtures of the kinds suite: temporary kinds, groups with permissions, and sends with their after-commit work run."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from platform_notifications import service
from platform_notifications.config.kinds import registry as kinds
from tests.factories import UserFactory

ALERT = "alerts.health_check"
PAYMENT = "billing.payment_due"


@pytest.fixture
def register_kind():
    """``registry.register`` whose kinds are forgotten after the test."""
    made = []

    def _register(kind, display_name="A kind", **kwargs):
        made.append(kind)
        return service.registry.register(kind, display_name, **kwargs)

    yield _register
    for kind in made:
        kinds.unregister(kind)


@pytest.fixture
def alert_kind(register_kind):
    return register_kind(ALERT, "Health check", email_cadence="Immediately")


@pytest.fixture
def payment_kind(register_kind):
    return register_kind(PAYMENT, "Payment due", default_priority=service.Priority.NORMAL)


@pytest.fixture
def on(all_flags_on):
    """Every flag on (notifications, email, grouping, push)."""


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call ``fn`` as inside a committed transaction: its after-commit work (fan-out, email) runs."""

    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run


@pytest.fixture
def approvers(db):
    """A group 'finance' of four users: one holds the permission directly, one through a group, one is a
    superuser, one holds nothing; plus an inactive member with the permission."""
    finance = Group.objects.create(name="finance")
    reviewers = Group.objects.create(name="reviewers")
    perm = Permission.objects.get(content_type__app_label="auth", codename="change_group")
    reviewers.permissions.add(perm)
    direct, via_group, root, plain = UserFactory.create_batch(4)
    root.is_superuser = True
    root.save()
    inactive = UserFactory(is_active=False)
    direct.user_permissions.add(perm)
    inactive.user_permissions.add(perm)
    via_group.groups.add(reviewers)
    for member in (direct, via_group, root, plain, inactive):
        member.groups.add(finance)
    return {"direct": direct, "via_group": via_group, "root": root, "plain": plain, "inactive": inactive}


@pytest.fixture
def push_alert_kind(register_kind):
    return register_kind(ALERT, "Health check", email_cadence="Immediately", push=True)


@pytest.fixture
def devices(db):
    from push_notifications.models import GCMDevice

    def _register(*users):
        for user in users:
            GCMDevice.objects.create(user=user, registration_id=f"token-{user.pk}", cloud_message_type="FCM")

    return _register
