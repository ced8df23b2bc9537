"""On an Open edX host the account page's ``time_zone`` and ``pref-lang`` preferences set the digest's local time
and the email's language (Open edX's ``UserPreference``, faked in ``fake_openedx``); standalone hosts keep
``UserNotificationSettings``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import override_settings

from platform_notifications.channels.email import digest, locale
from platform_notifications.models import DigestSchedule
from tests.email.conftest import set_settings, utc
from tests.factories import NotificationFactory, UserFactory
from tests.foundation import fake_openedx

pytestmark = pytest.mark.django_db

MONDAY_NOON = utc(2026, 5, 4, 12, 0)
OPENEDX_SOURCE = "platform_notifications.channels.email.locale.OpenEdxAccountLocale"


@pytest.fixture(scope="module")
def fake_openedx_tables(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        fake_openedx.create_tables(connection)


@contextmanager
def openedx_host() -> Iterator[None]:
    with fake_openedx.installed(), override_settings(NOTIFICATION_LOCALE_SOURCE=OPENEDX_SOURCE):
        yield


def account_preference(user, key: str, value: str) -> None:
    from tests.foundation.fake_openedx.models import UserPreference

    UserPreference.objects.create(user=user, key=key, value=value)


@time_machine.travel(MONDAY_NOON, tick=False)
def test_account_time_zone_sets_the_digest_local_time(fake_openedx_tables, email_on, send, queued):
    tokyo, stored_only, broken, plain = UserFactory.create_batch(4)
    account_preference(tokyo, "time_zone", "Asia/Tokyo")
    set_settings(tokyo, timezone="America/New_York")  # the account page wins over the stored setting
    set_settings(stored_only, timezone="America/New_York")
    account_preference(broken, "time_zone", "Mars/Olympus_Mons")  # not a zone: UTC
    with openedx_host():
        send([u.pk for u in (tokyo, stored_only, broken, plain)])
    assert dict(DigestSchedule.objects.values_list("user_id", "delivery_time")) == {
        tokyo.pk: utc(2026, 5, 5, 8, 0),
        stored_only.pk: utc(2026, 5, 4, 21, 0),
        broken.pk: utc(2026, 5, 4, 17, 0),
        plain.pk: utc(2026, 5, 4, 17, 0),
    }


def _digest_language(user) -> str:
    schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=MONDAY_NOON)
    NotificationFactory(user=user, email=True, email_cadence="Daily", created=MONDAY_NOON - timedelta(hours=1))
    with time_machine.travel(MONDAY_NOON + timedelta(minutes=1), tick=False):
        assert digest.deliver(schedule.pk) == "sent"
    html = mail.outbox[-1].alternatives[0][0]
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_account_language_sets_the_email_language(fake_openedx_tables, email_on):
    french, stored_only = UserFactory.create_batch(2)
    account_preference(french, "pref-lang", "fr")
    set_settings(french, language="de")
    set_settings(stored_only, language="es")
    with openedx_host():
        assert _digest_language(french) == "fr"
        assert _digest_language(stored_only) == "es"


def test_standalone_host_ignores_open_edx_preferences(fake_openedx_tables, email_on):
    user = UserFactory()
    account_preference(user, "pref-lang", "fr")
    set_settings(user, language="de")
    assert isinstance(locale.source(), locale.StoredLocale)
    assert not isinstance(locale.source(), locale.OpenEdxAccountLocale)
    assert _digest_language(user) == "de"


def test_open_edx_source_chosen_when_user_api_is_installed(monkeypatch):
    from django.apps import apps

    installed = apps.is_installed
    monkeypatch.setattr(
        apps, "is_installed", lambda name: name == "openedx.core.djangoapps.user_api" or installed(name)
    )
    assert isinstance(locale.source(), locale.OpenEdxAccountLocale)


def test_account_time_zones_cost_one_query_whatever_the_number_of_users(fake_openedx_tables, django_assert_num_queries):
    users = UserFactory.create_batch(30)
    for user in users[::2]:
        account_preference(user, "time_zone", "Europe/Paris")
    with openedx_host(), django_assert_num_queries(2):  # stored settings, account preferences
        zones = locale.time_zones(u.pk for u in users)
    assert zones == {user.pk: "Europe/Paris" for user in users[::2]}
