"""Kinds through a real Celery worker: ``service.send`` to a group narrowed by a permission, and a thread that
re-notifies its reader, each fanned out and emailed by the worker on PostgreSQL or MariaDB.

The worker runs ``tests.services.kinds_settings`` (the suite's host app registers the kinds there, as a host's
``AppConfig.ready()`` would); its email backend writes files into the test's own outbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone
from waffle.models import Flag

from platform_notifications import service
from platform_notifications.models import DigestSchedule, Notification, NotificationRequest, ThreadEvent
from tests.services.conftest import sent_mail, wait_for
from tests.services.kinds_app import kinds as kinds_app

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def kinds():
    kinds_app.register()
    yield
    kinds_app.unregister()


@pytest.fixture
def flags():
    # Real rows: the worker is another process and reads flags from the database.
    for name in ("notifications.enable_notifications", "notifications.enable_email_notifications"):
        Flag.objects.create(name=name, everyone=True)


@pytest.fixture
def outbox(tmp_path) -> Path:
    path = tmp_path / "outbox"
    path.mkdir()
    return path


@pytest.fixture
def worker(kinds, flags, outbox, celery_worker_process):
    return celery_worker_process(
        concurrency=1, DJANGO_SETTINGS_MODULE="tests.services.kinds_settings", EMAIL_FILE_PATH=str(outbox)
    )


def recipients(outbox: Path) -> list[str]:
    return sorted(str(message["To"]) for message in sent_mail(outbox))


def done(request: NotificationRequest, worker, timeout: float = 90) -> NotificationRequest:
    def finished():
        request.refresh_from_db()
        return request.state == NotificationRequest.State.DONE

    wait_for(finished, timeout, f"request {request.pk} to be fanned out", poll=0.2, on_fail=worker.output)
    return request


def mailed(outbox: Path, count: int, worker, timeout: float = 90) -> list[str]:
    wait_for(lambda: len(sent_mail(outbox)) >= count, timeout, f"{count} emails", poll=0.2, on_fail=worker.output)
    return recipients(outbox)


def all_schedules_sent(worker, timeout: float = 60) -> None:
    pending = DigestSchedule.objects.exclude(state=DigestSchedule.State.SENT)
    wait_for(lambda: not pending.exists(), timeout, "every schedule to be sent", poll=0.2, on_fail=worker.output)


def make_user(name: str, **fields):
    return get_user_model().objects.create(username=name, email=f"{name}@example.com", **fields)


def test_send_to_a_group_narrowed_by_a_permission_through_the_worker(worker, outbox):
    perm = Permission.objects.get(content_type__app_label="auth", codename="change_group")
    finance, reviewers = Group.objects.create(name="finance"), Group.objects.create(name="reviewers")
    reviewers.permissions.add(perm)
    direct, via_group, plain, actor = (make_user(n) for n in ("direct", "via_group", "plain", "actor"))
    root = make_user("root", is_superuser=True)
    inactive = make_user("inactive", is_active=False)
    outsider = make_user("outsider")  # holds the permission but is not in the group
    for user in (direct, inactive, outsider, actor):
        user.user_permissions.add(perm)
    via_group.groups.add(reviewers)
    for member in (direct, via_group, plain, root, inactive, actor):
        member.groups.add(finance)

    with transaction.atomic():  # the fan-out is enqueued when this commits
        request = service.send(
            kinds_app.APPROVAL,
            {"groups": ["finance"], "permissions": [kinds_app.PERMISSION]},
            title="PO-42 <waits> for your approval",
            body="Office chairs, 12 units",
            links={"Review": "/approvals/42"},
            level=service.Level.WARNING,
            actor=actor,
        )
    assert done(request, worker).created_count == 3
    rows = Notification.objects.all()
    assert {row.kind for row in rows} == {kinds_app.APPROVAL}
    expected = sorted([direct.pk, via_group.pk, root.pk])
    assert sorted(rows.values_list("user_id", flat=True)) == expected
    for row in rows:
        assert (row.title, row.level, row.links) == (
            "PO-42 <waits> for your approval",
            "warning",
            [{"label": "Review", "url": "/approvals/42"}],
        )
        assert row.email and row.email_cadence == "Immediately"
    # Immediately: the worker mails each recipient once, nobody else.
    assert mailed(outbox, 3, worker) == sorted(u.email for u in (direct, via_group, root))
    all_schedules_sent(worker)
    assert len(sent_mail(outbox)) == 3
    assert all("PO-42" in str(m["Subject"]) for m in sent_mail(outbox))
    assert set(rows.values_list("email_sent_on", flat=True)) != {None}
    assert not rows.filter(email_sent_on__isnull=True).exists()


def test_thread_renotifies_its_reader_through_the_worker(worker, outbox):
    reader, busy = make_user("reader"), make_user("busy")
    audience = {"users": [reader.pk, busy.pk]}

    def alert(level, title):
        with transaction.atomic():
            return service.send(kinds_app.ALERT, audience, title=title, level=level, event_data={"check": "api"})

    done(alert(service.Level.ERROR, "API down"), worker)
    assert mailed(outbox, 2, worker) == sorted([reader.email, busy.email])
    all_schedules_sent(worker)
    Notification.objects.filter(user=reader).update(last_read=timezone.now(), last_seen=timezone.now())

    second = done(alert(service.Level.INFO, "API back up"), worker)
    assert (second.created_count, second.grouped_count) == (0, 2)
    rows = {row.user_id: row for row in Notification.objects.all()}
    assert sorted(rows) == sorted([reader.pk, busy.pk])
    for row in rows.values():
        assert (row.occurrences, row.title, row.level) == (2, "API back up", "info")
    assert rows[reader.pk].last_read is None and rows[reader.pk].last_seen is None
    assert ThreadEvent.objects.count() == 2
    # The reader is emailed again; the user who had not read the thread gets the occurrence silently.
    mailed(outbox, 3, worker)
    all_schedules_sent(worker)
    messages = sent_mail(outbox)
    assert len(messages) == 3
    assert [str(m["To"]) for m in messages if "API back up" in str(m["Subject"])] == [reader.email]
    assert Notification.objects.get(user=reader).email_sent_on is not None
