"""``service.notify``, ``send`` and ``notify_for``: who receives what, priorities, and every refusal storing nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from platform_notifications import exceptions as errors
from platform_notifications import service
from platform_notifications.audience import hosts
from platform_notifications.models import (
    Notification,
    NotificationPreference,
    NotificationRequest,
    ThreadEvent,
    UserNotificationSettings,
)
from tests.factories import UserFactory
from tests.kinds.conftest import ALERT, PAYMENT


def received(kind=PAYMENT):
    return set(Notification.objects.filter(notification_type=kind).values_list("user_id", flat=True))


class TestNotify:
    def test_row_in_callers_transaction_and_returned(self, db, on, payment_kind, committed):
        user = UserFactory()
        row = committed(
            service.notify,
            user,
            PAYMENT,
            title="Invoice <3> is due",
            body="Pay by Friday",
            url="/billing/3",
            links={"Pay now": "/billing/3/pay", "Help": "https://example.com/help"},
            level=service.Level.WARNING,
        )
        row.refresh_from_db()
        assert (row.title, row.body, row.level, row.priority, row.content_url) == (
            "Invoice <3> is due",
            "Pay by Friday",
            "warning",
            3,
            "/billing/3",
        )
        assert row.links == [
            {"label": "Pay now", "url": "/billing/3/pay"},
            {"label": "Help", "url": "https://example.com/help"},
        ]
        assert row.kind == PAYMENT
        assert row.content == "<p><strong>Invoice &lt;3&gt; is due</strong></p><p>Pay by Friday</p>"

    def test_rollback_keeps_nothing(self, db, on, payment_kind):
        user = UserFactory()
        with pytest.raises(RuntimeError), transaction.atomic():
            assert service.notify(user, PAYMENT, title="x") is not None
            raise RuntimeError
        assert not Notification.objects.exists()

    def test_email_runs_after_commit(self, db, on, alert_kind, django_capture_on_commit_callbacks):
        user = UserFactory()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            service.notify(user, ALERT, title="API down")
        assert mail.outbox == []
        with django_capture_on_commit_callbacks(execute=True):
            for callback in callbacks:
                callback()
        assert [m.to for m in mail.outbox] == [[user.email]]
        assert "API down" in mail.outbox[0].subject

    def test_none_when_not_received(self, db, on, payment_kind, register_kind):
        user, actor = UserFactory(), UserFactory()
        NotificationPreference.objects.create(
            user=user, app_name="billing", notification_type=PAYMENT, web=False, email=False
        )
        assert service.notify(user, PAYMENT, title="x") is None
        assert service.notify(actor, PAYMENT, title="x", actor=actor) is None
        assert service.notify(UserFactory(is_active=False), PAYMENT, title="x") is None
        register_kind("billing.import_complete", "Import complete", default_opt_in=False)
        assert service.notify(actor, "billing.import_complete", title="x") is None
        NotificationPreference.objects.create(
            user=actor, app_name="billing", notification_type="billing.import_complete", web=True
        )
        assert service.notify(actor, "billing.import_complete", title="x") is not None
        assert Notification.objects.count() == 1

    def test_idempotency_key_makes_a_repeat_a_no_op(self, db, on, payment_kind):
        user = UserFactory()
        key = "0f8fad5b-d9cb-469f-a165-70867728950e"
        assert service.notify(user, PAYMENT, title="x", idempotency_key=key) is not None
        assert service.notify(user, PAYMENT, title="x", idempotency_key=key) is None
        assert Notification.objects.count() == 1

    def test_high_priority_ignores_opt_outs(self, db, on, payment_kind, committed):
        user = UserFactory()
        NotificationPreference.objects.create(
            user=user, app_name="billing", notification_type=PAYMENT, web=False, email=False
        )
        UserNotificationSettings.objects.create(user=user, email_opt_out=True)
        row = committed(service.notify, user, PAYMENT, title="Card declined", priority=service.Priority.HIGH)
        assert row is not None and row.web and row.email

    def test_high_priority_digest_is_not_dropped_by_a_later_opt_out(self, db, on, payment_kind, committed):
        from datetime import timedelta

        import time_machine
        from django.utils import timezone

        from platform_notifications.channels.email import batch

        user = UserFactory()
        committed(service.notify, user, PAYMENT, title="Card declined", priority=service.Priority.HIGH)
        committed(service.notify, user, PAYMENT, title="Routine notice")
        UserNotificationSettings.objects.create(user=user, email_opt_out=True)
        with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
            batch.deliver_due()
        assert len(mail.outbox) == 1
        assert "Card declined" in mail.outbox[0].body and "Routine notice" not in mail.outbox[0].body

    def test_critical_sends_a_standalone_email_at_once(self, db, on, payment_kind, committed):
        """Daily cadence, email switched off by the user: CRITICAL still emails now, one message per notification."""
        user = UserFactory()
        NotificationPreference.objects.create(user=user, app_name="billing", notification_type=PAYMENT, email=False)
        committed(service.notify, user, PAYMENT, title="Account locked", priority=service.Priority.CRITICAL)
        committed(service.notify, user, PAYMENT, title="Second lock", priority=service.Priority.CRITICAL)
        assert [m.subject for m in mail.outbox] == ["Account locked", "Second lock"]
        assert not Notification.objects.filter(email_sent_on__isnull=True).exists()

    def test_template_kinds_render_their_template(self, db, on, committed):
        user = UserFactory()
        row = committed(
            service.notify, user, "discussion.new_response", {"replier_name": "<b>Ana</b>", "post_title": "Week 1"}
        )
        assert (
            row.content == "<p><strong>&lt;b&gt;Ana&lt;/b&gt;</strong> replied to your post <strong>Week 1</strong></p>"
        )


class TestSend:
    def test_group_narrowed_by_permission(self, db, on, payment_kind, approvers, committed):
        actor = approvers["root"]
        request = committed(
            service.send,
            PAYMENT,
            {"groups": ["finance"], "permissions": ["auth.change_group"]},
            title="Approve PO-42",
            actor=actor,
        )
        assert request.state == "pending"  # as stored; the fan-out ran after commit
        # Direct, through a group; the superuser acted; the plain member and the inactive one are left out.
        assert received() == {approvers["direct"].pk, approvers["via_group"].pk}
        request.refresh_from_db()
        assert (request.state, request.created_count) == ("done", 2)

    def test_union_of_users_groups_followers_course_and_host_keys(self, db, on, payment_kind, committed, settings):
        settings.NOTIFICATION_FOLLOWABLE_MODELS = ["auth.group"]
        listed, member, follower, learner, organised = UserFactory.create_batch(5)
        team = Group.objects.create(name="team")
        team.user_set.add(member)
        service.follow(follower, team)
        from platform_notifications.models import CourseMembership

        CourseMembership.objects.create(user=learner, course_id="course-v1:A+B+C", course_role="staff")
        hosts.register("organization", lambda org_id: UserFactory._meta.model.objects.filter(pk=organised.pk))
        try:
            committed(
                service.send,
                PAYMENT,
                {
                    "users": [listed],
                    "groups": [team.pk],
                    "followers_of": team,
                    "course": "course-v1:A+B+C",
                    "course_roles": ["staff"],
                    "organization": 7,
                },
                title="x",
            )
        finally:
            hosts.unregister("organization")
        assert received() == {listed.pk, member.pk, follower.pk, learner.pk, organised.pk}

    def test_notify_for_queryset_and_list(self, db, on, register_kind, committed):
        team = Group.objects.create(name="team")
        members = UserFactory.create_batch(3)
        team.user_set.add(*members)
        register_kind("teams.update", "Team update", recipients=lambda group: group.user_set.all())
        request = committed(service.notify_for, team, "teams.update", title="Standup moved")
        # Stored by reference, resolved by the fan-out in SQL.
        assert request.audience == {"recipients_of": [request.audience["recipients_of"][0], str(team.pk)]}
        assert received("teams.update") == {m.pk for m in members}
        register_kind("teams.listed", "Listed", recipients=lambda group: [members[0], members[1].pk])
        committed(service.notify_for, team, "teams.listed", title="x")
        assert received("teams.listed") == {members[0].pk, members[1].pk}
        with pytest.raises(ValueError, match="no recipients"):
            service.notify_for(team, PAYMENT if service.registry.get(PAYMENT) else "discussion.new_response")

    def test_fixed_queries_per_chunk(self, db, on, payment_kind, settings, django_capture_on_commit_callbacks):
        """Chunks of 2 over a permitted group: the same statements per chunk whatever the audience size."""
        from django.contrib.auth.models import Permission

        from platform_notifications.fanout import run

        settings.NOTIFICATION_CREATION_BATCH_SIZE = 2
        perm = Permission.objects.get(content_type__app_label="auth", codename="change_group")

        def queries_for(size):
            group = Group.objects.create(name=f"bulk{size}")
            members = UserFactory.create_batch(size)
            group.user_set.add(*members)
            for member in members:
                member.user_permissions.add(perm)
            with django_capture_on_commit_callbacks(execute=False):
                request = service.send(
                    PAYMENT, {"groups": [group.name], "permissions": ["auth.change_group"]}, title="x"
                )
            with CaptureQueriesContext(connection) as queries:
                result = run.process_request(request.pk)
            assert result.created == size
            return len(queries), result.chunks

        queries_for(2)  # warms the flag cache
        small, small_chunks = queries_for(4)
        large, large_chunks = queries_for(12)
        assert (small_chunks, large_chunks) == (2, 6)
        # Per chunk: savepoint, lock the request, the group's next ids, the active permitted users among them,
        # two preference reads, the attention read (``preferences.attention``), one INSERT, the live stream's
        # events (one INSERT), the email channel's savepoint, the covered users, the timezones, one INSERT ... SELECT
        # of schedules, its release, one read of the webhook and Slack channels' endpoints, the cursor, the release.
        assert (large - small) == 4 * 17
        # Besides, once per request: its read, the groups granting the permission, and the last (empty) chunk's
        # savepoint, lock, ids, done and release.
        assert small == 2 * 17 + 7


BAD = [
    ("unregistered kind", lambda: service.send("billing.nope", {"users": [1]}, title="x"), errors.UnknownKind),
    ("unknown audience key", lambda: service.send(PAYMENT, {"planet": "mars"}, title="x"), errors.UnknownAudience),
    ("unknown group", lambda: service.send(PAYMENT, {"groups": ["nobody"]}, title="x"), errors.UnknownGroup),
    (
        "malformed permission",
        lambda: service.send(PAYMENT, {"users": [1], "permissions": ["change group"]}, title="x"),
        errors.InvalidPermission,
    ),
    (
        "event data",
        lambda: service.send(PAYMENT, {"users": [1]}, event_data={"at": object()}),
        errors.InvalidNotificationData,
    ),
    ("context", lambda: service.send(PAYMENT, {"users": [1]}, {"when": object()}), errors.InvalidNotificationData),
    ("long title", lambda: service.send(PAYMENT, {"users": [1]}, title="x" * 256), errors.InvalidContent),
    (
        "javascript link",
        lambda: service.send(PAYMENT, {"users": [1]}, links={"Go": "javascript:alert(1)"}),
        errors.InvalidContent,
    ),
    (
        "javascript url",
        lambda: service.send(PAYMENT, {"users": [1]}, url="javascript:alert(1)"),
        errors.InvalidContentUrl,
    ),
    ("bad level", lambda: service.send(PAYMENT, {"users": [1]}, level="panic"), errors.InvalidContent),
    ("notify, unknown kind", lambda: service.notify(1, "billing.nope"), errors.UnknownKind),
    ("notify, long title", lambda: service.notify(1, PAYMENT, title="x" * 256), errors.InvalidContent),
    ("notify, event data", lambda: service.notify(1, PAYMENT, event_data={1, 2}), errors.InvalidNotificationData),
]


@pytest.mark.parametrize(("what", "call", "error"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_nothing_stored(db, on, payment_kind, what, call, error):
    UserFactory(id=1)
    with pytest.raises(error) as raised:
        call()
    assert isinstance(raised.value, ValueError) and str(raised.value)
    assert not Notification.objects.exists()
    assert not NotificationRequest.objects.exists()
    assert not ThreadEvent.objects.exists()


@override_settings(NOTIFICATION_FOLLOWABLE_MODELS=[])
def test_followers_only_of_followable_models(db):
    user = UserFactory()
    with pytest.raises(errors.UnknownAudience, match="not followable"):
        service.follow(user, Group.objects.create(name="g"))
