"""User retirement: every row of one user goes, in a fixed number of statements, and nobody else's."""

from __future__ import annotations

import io
import sys
import types
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.dispatch import Signal
from django.test.utils import CaptureQueriesContext

from platform_notifications import service
from platform_notifications.models import Notification, NotificationRequest
from platform_notifications.operations import retirement
from tests.operations.retirement_cases import make_user, nothing_of, populate, rows_of

pytestmark = pytest.mark.django_db

#: exists check + SAVEPOINT + 12 user-keyed DELETEs (5 notification tables, the delivery log, browser subscriptions,
#: webhooks, followed objects, per-scope choices, muted threads, live events) + request DELETE + sender UPDATE
#: + refusal DELETE + 2 device DELETEs (FCM, APNs) + RELEASE.
RETIRE_QUERIES = 20


def test_retire_user_removes_every_row_of_the_user_and_keeps_others():
    gone, kept = make_user("gone"), make_user("kept")
    populate(gone)
    populate(kept)
    before = rows_of(kept.pk)
    result = service.retire_user(gone)
    assert nothing_of(gone.pk)
    assert rows_of(kept.pk) == before
    assert result.rows["platform_notifications.notification"] == 3
    # 3 notifications, then one row each: preference, settings, schedule, membership, request, refusal, delivery
    # log, browser subscription, webhook, device, live event.
    assert result.total == 3 + 11


def test_shared_request_keeps_its_audience_and_forgets_the_sender():
    sender, other = make_user("sender"), make_user("other")
    shared = NotificationRequest.objects.create(
        event_id=uuid.uuid4(), kind="users", user_ids=[sender.pk, other.pk], sender_id=sender.pk
    )
    service.retire_user(sender)
    shared.refresh_from_db()
    assert shared.sender_id is None
    assert shared.user_ids == [sender.pk, other.pk]


def test_retiring_twice_is_harmless():
    user = make_user("twice")
    populate(user)
    service.retire_user(user)
    assert service.retire_user(user).total == 0
    assert nothing_of(user.pk)


@pytest.mark.parametrize("count", [10, 3000])
def test_statement_count_does_not_grow_with_the_rows(count):
    user = make_user(f"many{count}")
    populate(user, notifications=count)
    with CaptureQueriesContext(connection) as captured:
        service.retire_user(user)
    assert len(captured) == RETIRE_QUERIES
    assert not Notification.objects.filter(user=user).exists()


@pytest.mark.parametrize("bad", [None, "alice", 10**9, True])
def test_unknown_user_is_an_error_and_changes_nothing(bad):
    user = make_user("bystander")
    populate(user)
    before = rows_of(user.pk)
    with pytest.raises(service.UnknownUserError):
        service.retire_user(bad)
    assert rows_of(user.pk) == before


def test_command_retires_by_username():
    user = make_user("cmd")
    populate(user)
    out = io.StringIO()
    call_command("retire_notification_user", "cmd", stdout=out)
    assert nothing_of(user.pk)
    assert "Retired user cmd" in out.getvalue()


def test_command_refuses_an_unknown_username_and_changes_nothing():
    user = make_user("stays")
    populate(user)
    before = rows_of(user.pk)
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("retire_notification_user", "nobody")
    assert rows_of(user.pk) == before


def test_deleting_the_user_through_django_leaves_no_orphan():
    user, kept = make_user("deleted"), make_user("kept")
    populate(user)
    populate(kept)
    before = rows_of(kept.pk)
    user_id = user.pk
    user.delete()
    assert nothing_of(user_id)
    assert rows_of(kept.pk) == before


def test_a_later_table_joins_with_one_registration():
    user = make_user("extra")
    seen = []
    retirement.register_step("tests.extra", lambda user_id: seen.append(user_id) or 1)
    try:
        assert service.retire_user(user).rows["tests.extra"] == 1
    finally:
        retirement._STEPS.pop("tests.extra")
    assert seen == [user.pk]


@pytest.fixture
def fake_openedx_signals():
    """Open edX's ``user_api.accounts.signals`` module, with its two retirement signals."""
    names = ["openedx", "openedx.core", "openedx.core.djangoapps", "openedx.core.djangoapps.user_api"]
    names += ["openedx.core.djangoapps.user_api.accounts", "openedx.core.djangoapps.user_api.accounts.signals"]
    saved = {name: sys.modules.get(name) for name in names}
    for name in names:
        sys.modules[name] = types.ModuleType(name)
    module = sys.modules[names[-1]]
    module.USER_RETIRE_LMS_CRITICAL = Signal()
    module.USER_RETIRE_LMS_MISC = Signal()
    for parent, child in zip(names, names[1:], strict=False):
        setattr(sys.modules[parent], child.rsplit(".", 1)[1], sys.modules[child])
    yield module
    for name, value in saved.items():
        if value is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = value


@pytest.mark.parametrize("signal_name", ["USER_RETIRE_LMS_CRITICAL", "USER_RETIRE_LMS_MISC"])
def test_openedx_retirement_signals_retire_the_user(fake_openedx_signals, signal_name):
    assert retirement.connect_signals() == 3
    user, kept = make_user("learner"), make_user("kept")
    populate(user)
    populate(kept)
    before = rows_of(kept.pk)
    getattr(fake_openedx_signals, signal_name).send(sender=None, user=user, retired_username="r", retired_email="e")
    assert nothing_of(user.pk)
    assert rows_of(kept.pk) == before


def test_without_openedx_only_user_deletion_is_connected():
    assert retirement.connect_signals() == 1
