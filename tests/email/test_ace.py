"""Notification email through edx-ace (``NOTIFICATIONS_EMAIL_THROUGH_ACE``): ACE's own channels deliver it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from platform_notifications import tasks
from platform_notifications.models import DigestSchedule, Notification
from tests.email.conftest import utc
from tests.factories import UserFactory

pytest.importorskip("edx_ace")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_on")]

NOON = utc(2026, 5, 4, 12, 0)
#: The document ACE's Django email channel wraps the rendered head and body in.
ACE_DOCUMENT = "<!DOCTYPE html>\n<html>\n  <head>\n"


def _forget_ace_plugins():
    """ACE loads its channels and policies once per process; each test configures its own."""
    from edx_ace import policy
    from edx_ace.channel import channels

    for loader in (channels, policy.policies):
        if hasattr(loader.__wrapped__, "__once_result"):
            delattr(loader.__wrapped__, "__once_result")


@pytest.fixture
def through_ace(settings):
    _forget_ace_plugins()
    settings.NOTIFICATIONS_EMAIL_THROUGH_ACE = True
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "django_email"
    settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"
    settings.ACE_ENABLED_POLICIES = []
    settings.NOTIFICATION_APPS_OVERRIDE = {"discussion": {"email_cadence": "Immediately"}}
    yield settings
    _forget_ace_plugins()


def test_immediate_email_arrives_through_aces_django_email_channel(send, through_ace):
    user = UserFactory(email="ana@example.com")
    with time_machine.travel(NOON, tick=False):
        send([user.pk], context={"replier_name": "Bo & Co", "post_title": "Week <1>"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert message.subject == "Bo & Co replied to your post Week <1>"  # text parts are not HTML-escaped
    assert "Bo & Co replied to your post Week <1>" in message.body
    html = {mimetype: content for content, mimetype in message.alternatives}["text/html"]
    # ACE's own document around our rendered body, not a document nested in another.
    assert html.startswith(ACE_DOCUMENT)
    assert html.lower().count("<html") == 1 and html.lower().count("<body") == 1
    assert "Bo &amp; Co" in html and "Week &lt;1&gt;" in html
    # The one-click unsubscribe headers travel as ACE message headers.
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert Notification.objects.get().email_sent_on == NOON


def test_digest_arrives_through_aces_file_channel(send, through_ace, tmp_path, monkeypatch):
    from edx_ace.channel import file as file_channel

    monkeypatch.setattr(file_channel, "DEFAULT_OUTPUT_FILE_PATH_TPL", str(tmp_path / "{recipient.lms_user_id}.html"))
    through_ace.ACE_ENABLED_CHANNELS = ["file_email"]
    through_ace.ACE_CHANNEL_DEFAULT_EMAIL = "file_email"
    through_ace.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "file_email"
    through_ace.NOTIFICATION_APPS_OVERRIDE = {"discussion": {"email_cadence": "Daily"}}
    _forget_ace_plugins()
    user = UserFactory(email="ana@example.com")
    five = utc(2026, 5, 4, 17, 0)
    with time_machine.travel(NOON, tick=False) as clock:
        send([user.pk], context={"replier_name": "Bo", "post_title": "Week 1"})
        send([user.pk], context={"replier_name": "Cy", "post_title": "Week 2"})
        clock.move_to(five)
        assert tasks.send_due_digests.apply().get() == {"sent": 1}
    assert mail.outbox == []  # ACE's file channel, not Django's backend
    written = (tmp_path / f"{user.pk}.html").read_text()
    assert "<!-- to: ana@example.com -->" in written
    assert "<!-- subject: Your daily digest: 2 new notifications -->" in written
    assert "Week 1" in written and "Week 2" in written
    assert DigestSchedule.objects.get().state == DigestSchedule.State.SENT


def test_a_delivery_error_ace_reports_leaves_the_digest_to_its_retry(send, through_ace):
    through_ace.EMAIL_BACKEND = "tests.email.backends.FailingBackend"
    through_ace.NOTIFICATION_APPS_OVERRIDE = {"discussion": {"email_cadence": "Daily"}}
    user = UserFactory()
    five = utc(2026, 5, 4, 17, 0)
    with time_machine.travel(NOON, tick=False) as clock:
        send([user.pk])
        clock.move_to(five)
        assert tasks.send_due_digests.apply().get() == {"pending": 1}
    schedule = DigestSchedule.objects.get()
    assert (schedule.state, schedule.attempts) == (DigestSchedule.State.PENDING, 1)
    assert "SMTP error" in schedule.last_error
    assert schedule.retry_at == five + timedelta(minutes=5)
    assert Notification.objects.get().email_sent_on is None


def test_setting_off_sends_through_djangos_backend(send, through_ace):
    through_ace.NOTIFICATIONS_EMAIL_THROUGH_ACE = False
    user = UserFactory()
    with time_machine.travel(NOON, tick=False):
        send([user.pk])
    html = {mimetype: content for content, mimetype in mail.outbox[0].alternatives}["text/html"]
    assert not html.startswith(ACE_DOCUMENT)
