"""Operator commands: the deprecated digest command and the due-digest sweep."""

from io import StringIO

import pytest
from django.core.management import call_command

from platform_notifications.models import DigestSchedule

WARNING = (
    "WARNING: This command is deprecated. Digest emails are now scheduled automatically. "
    "Please remove cron jobs using this command.\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize("argv", [[], ["--cadence", "Daily"]])
def test_send_email_digest_is_a_deprecated_no_op(argv):
    out = StringIO()
    call_command("send_email_digest", *argv, stdout=out)
    assert out.getvalue() == WARNING
    assert not DigestSchedule.objects.exists()


@pytest.mark.django_db
def test_send_due_digests_with_nothing_due(email_on):
    out = StringIO()
    call_command("send_due_digests", stdout=out)
    assert out.getvalue() == "Due notification emails: nothing due.\n"
