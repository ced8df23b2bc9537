"""Several senders: From header, each sender's own authenticated SMTP session, checks, refusals, digests per sender.

SMTP is a real server on loopback (aiosmtpd) requiring AUTH with per-account passwords.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils import timezone

from platform_notifications import exceptions, service
from platform_notifications.channels.email import batch
from platform_notifications.config import senders
from platform_notifications.config.checks import check_configuration
from platform_notifications.config.kind_checks import check_kinds
from platform_notifications.config.kinds import registry as kinds
from platform_notifications.models import DigestSchedule, Notification, NotificationRequest
from tests.email import smtp
from tests.factories import UserFactory

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SENDERS = [
    ("billing", "Billing, Accounts", "billing@example.com", "billing-user", "billing-secret"),
    ("alerts", "Ops Alerts", "alerts@example.com", "", ""),
    ("support", "Support Desk", "support@example.com", "support-user", "support-secret"),
]


@pytest.fixture
def on(all_flags_on):
    """Every flag on."""


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run


@pytest.fixture
def server():
    controller, mailbox, port = smtp.start({"billing-user": "billing-secret", "support-user": "support-secret"})
    with override_settings(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=5,
        NOTIFICATION_SENDERS=SENDERS,
        NOTIFICATION_DEFAULT_SENDER="alerts",
        NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES=0,
    ):
        yield mailbox
    controller.stop()


@pytest.fixture
def kinds_with_senders(server):
    made = [
        service.registry.register("billing.invoice", "Invoice", email_cadence="Immediately", sender="billing"),
        service.registry.register("alerts.outage", "Outage", email_cadence="Immediately"),
    ]
    yield made
    for info in made:
        kinds.unregister(info.kind)


def notify(committed, *args, **kwargs):
    return committed(service.notify, *args, **kwargs)


@pytest.mark.django_db
class TestSending:
    def test_kind_sender_authenticates_on_its_own_connection(self, on, committed, kinds_with_senders, server):
        user = UserFactory()
        row = notify(committed, user, "billing.invoice", title="Invoice 42")
        assert row.sender == "billing"
        assert mail.outbox == []  # not the project's backend
        (received,) = server.received
        assert received.login == "billing-user"
        assert received.message["From"] == '"Billing, Accounts" <billing@example.com>'
        assert received.recipients == [user.email]
        assert "Invoice 42" in received.message["Subject"]
        assert Notification.objects.get(pk=row.pk).email_sent_on is not None

    def test_default_sender_without_smtp_user_uses_the_project_backend(self, on, committed, kinds_with_senders, server):
        user = UserFactory()
        row = notify(committed, user, "alerts.outage", title="API down")
        assert row.sender == ""  # the default, chosen at send time
        assert server.received == []
        assert [m.from_email for m in mail.outbox] == ["Ops Alerts <alerts@example.com>"]

    def test_notify_sender_overrides_the_kind(self, on, committed, kinds_with_senders, server):
        user = UserFactory()
        row = notify(committed, user, "billing.invoice", title="Invoice 43", sender="support")
        assert row.sender == "support"
        (received,) = server.received
        assert received.login == "support-user"
        assert received.message["From"] == "Support Desk <support@example.com>"

    def test_debug_ignores_smtp_credentials(self, on, committed, kinds_with_senders, server):
        user = UserFactory()
        with override_settings(DEBUG=True):
            notify(committed, user, "billing.invoice", title="Invoice 44")
        assert server.received == []
        assert [m.from_email for m in mail.outbox] == ['"Billing, Accounts" <billing@example.com>']

    def test_wrong_password_is_a_failed_send_retried_later(self, on, committed, kinds_with_senders, server):
        user = UserFactory()
        wrong = [(*SENDERS[0][:4], "not-the-password"), *SENDERS[1:]]
        with override_settings(NOTIFICATION_SENDERS=wrong):
            row = notify(committed, user, "billing.invoice", title="Invoice 45")
        assert server.received == [] and set(server.refused_logins) == {"billing-user"}
        assert Notification.objects.get(pk=row.pk).email_sent_on is None
        schedule = DigestSchedule.objects.get(user=user, attempts=1)
        assert schedule.state == DigestSchedule.State.PENDING and "SMTPAuthenticationError" in schedule.last_error

    def test_unknown_sender_is_refused_and_nothing_stored(self, on, committed, kinds_with_senders, server):
        user = UserFactory()
        with pytest.raises(exceptions.UnknownSender, match="unknown sender 'marketing'"):
            notify(committed, user, "billing.invoice", title="x", sender="marketing")
        with pytest.raises(exceptions.UnknownSender):
            committed(service.send, "billing.invoice", {"users": [user.pk]}, title="x", sender="marketing")
        assert not Notification.objects.exists() and not NotificationRequest.objects.exists()
        assert mail.outbox == [] and server.received == []

    def test_audience_send_stores_the_sender_on_every_row(self, on, committed, kinds_with_senders, server):
        people = UserFactory.create_batch(3)
        committed(service.send, "alerts.outage", {"users": [u.pk for u in people]}, title="x", sender="billing")
        assert set(Notification.objects.values_list("sender", flat=True)) == {"billing"}
        assert sorted(r.recipients[0] for r in server.received) == sorted(u.email for u in people)
        # One SMTP session served the run's three emails: the server saw one login.
        assert server.logins == ["billing-user"]


@pytest.mark.django_db
def test_digest_sends_one_email_per_sender(on, kinds_with_senders, server):
    user = UserFactory()
    now = timezone.now()
    made = {}
    for sender, title in (("billing", "Invoice A"), ("", "Outage B"), ("billing", "Invoice C"), ("support", "D")):
        made[title] = Notification.objects.create(
            user=user,
            app_name="billing",
            notification_type="billing.invoice",
            title=title,
            email=True,
            email_cadence="Daily",
            sender=sender,
            created=now - timedelta(hours=1),
        )
    DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=now - timedelta(minutes=1))
    assert batch.deliver_due() == {"sent": 1}
    by_login = {r.login: r.message for r in server.received}
    assert set(by_login) == {"billing-user", "support-user"}
    billing_text = by_login["billing-user"].get_payload()[0].get_payload(decode=True).decode()
    assert "Invoice A" in billing_text and "Invoice C" in billing_text and "Outage B" not in billing_text
    (default_mail,) = mail.outbox
    assert default_mail.from_email == "Ops Alerts <alerts@example.com>" and "Outage B" in default_mail.body
    assert not Notification.objects.filter(email_sent_on__isnull=True).exists()


class TestChecks:
    @override_settings(NOTIFICATION_SENDERS=SENDERS, NOTIFICATION_DEFAULT_SENDER="newsletter")
    def test_default_sender_not_in_the_list(self):
        (error,) = [e for e in check_configuration() if e.id == "platform_notifications.E030"]
        assert "'newsletter'" in error.msg and "alerts, billing, support" in error.msg

    @override_settings(
        NOTIFICATION_SENDERS=[("billing", "Billing", "billing@example.com", "user"), ("ops", "Ops", "no-at", "", "")]
    )
    def test_malformed_tuples_name_the_sender(self):
        messages = [e.msg for e in check_configuration() if e.id == "platform_notifications.E030"]
        assert any("sender 'billing' has 4 fields" in m for m in messages)
        assert any("sender 'ops': from_email 'no-at'" in m for m in messages)

    @override_settings(NOTIFICATION_SENDERS=SENDERS, NOTIFICATION_DEFAULT_SENDER="nobody")
    def test_manage_py_check_fails_naming_the_sender(self):
        with pytest.raises(SystemCheckError, match="'nobody'"):
            call_command("check")

    @override_settings(NOTIFICATION_SENDERS=SENDERS, NOTIFICATION_DEFAULT_SENDER="alerts")
    def test_good_configuration_has_no_error(self):
        assert [e for e in check_configuration() if e.id == "platform_notifications.E030"] == []
        assert senders.default().from_header == "Ops Alerts <alerts@example.com>"

    @override_settings(NOTIFICATION_SENDERS=SENDERS)
    def test_kind_naming_an_unknown_sender(self):
        service.registry.register("billing.refund", "Refund", sender="refunds")
        try:
            (error,) = [e for e in check_kinds() if e.id == "platform_notifications.E021"]
            assert "'refunds'" in error.msg and "billing.refund" in error.msg
        finally:
            kinds.unregister("billing.refund")
