"""Unsubscribe links expire and can be revoked; an expired or revoked link changes nothing and says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from platform_notifications.channels.email import digest, tokens
from platform_notifications.channels.email.tokens import SALT, Scope, make_token
from platform_notifications.models import DigestSchedule, NotificationPreference, UserNotificationSettings
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
SENT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def url(token, name="email_unsubscribe"):
    return reverse(f"platform_notifications:{name}", args=[token])


def _nothing_changed(user) -> bool:
    settings = UserNotificationSettings.objects.filter(user=user).first()
    return not NotificationPreference.objects.filter(user=user).exists() and not (settings and settings.email_opt_out)


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def _token_made_at(when, user, scope=None):
    with time_machine.travel(when, tick=False):
        return make_token(user.pk, scope or Scope.everything())


@pytest.mark.parametrize(("days", "works"), [(364, True), (366, False)])
def test_a_link_works_for_a_year_by_default(client, settings, days, works):
    settings.NOTIFICATIONS_SITE_URL = "https://lms.example.com"
    user = UserFactory()
    token = _token_made_at(SENT, user)
    with time_machine.travel(SENT + timedelta(days=days), tick=False):
        response = client.post(url(token), ONE_CLICK)
    if works:
        assert response.status_code == 200
        assert UserNotificationSettings.objects.get(user=user).email_opt_out is True
    else:
        assert response.status_code == 410
        assert b"This unsubscribe link has expired." in response.content
        assert b'href="https://lms.example.com/account/notifications/"' in response.content
        assert _nothing_changed(user)


def test_max_age_follows_the_setting_and_never_drops_below_thirty_days(client, settings):
    user = UserFactory()
    token = _token_made_at(SENT, user)
    settings.NOTIFICATIONS_UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS = 60
    with time_machine.travel(SENT + timedelta(days=61), tick=False):
        assert client.post(url(token), ONE_CLICK).status_code == 410
    settings.NOTIFICATIONS_UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS = 1  # clamped to 30: the legal minimum
    with time_machine.travel(SENT + timedelta(days=29), tick=False):
        assert client.post(url(token), ONE_CLICK).status_code == 200


def test_the_openedx_path_refuses_an_expired_link_with_the_preferences_url(client, settings):
    settings.NOTIFICATIONS_PREFERENCES_URL = "https://apps.example.com/account/notifications"
    user = UserFactory()
    token = _token_made_at(SENT, user)
    with time_machine.travel(SENT + timedelta(days=400), tick=False):
        response = client.post(url(token, "email_preferences_update"))
    assert response.status_code == 410
    assert response.json() == {
        "error": "This unsubscribe link has expired.",
        "preferences_url": "https://apps.example.com/account/notifications",
    }
    assert _nothing_changed(user)


def test_revoking_invalidates_every_outstanding_link_and_new_ones_work(client):
    user = UserFactory()
    old = [make_token(user.pk, Scope.everything()), make_token(user.pk, Scope.app("discussion"))]
    assert tokens.revoke(user.pk) == 1
    for token in old:
        response = client.post(url(token), ONE_CLICK)
        assert response.status_code == 410
        assert b"This unsubscribe link was revoked." in response.content
        assert b"notification preferences" in response.content
    get = client.get(url(old[0]))  # the confirmation page refuses too, so nobody clicks in vain
    assert get.status_code == 410
    assert _nothing_changed(user)
    assert client.post(url(make_token(user.pk, Scope.everything())), ONE_CLICK).status_code == 200
    assert UserNotificationSettings.objects.get(user=user).email_opt_out is True


def test_revoking_one_user_leaves_other_users_links_alone(client):
    alice, bob = UserFactory(), UserFactory()
    token = make_token(bob.pk, Scope.everything())
    tokens.revoke(alice.pk)
    assert client.post(url(token), ONE_CLICK).status_code == 200


def test_a_link_made_before_versions_existed_counts_as_version_zero(client):
    user = UserFactory()
    legacy = signing.dumps([user.pk, "all", "", ""], salt=SALT)
    assert tokens.read_token(legacy) == (user.pk, Scope.everything())
    tokens.revoke(user.pk)
    assert client.post(url(legacy), ONE_CLICK).status_code == 410


def test_a_digest_sent_after_a_revocation_carries_working_links(email_on, client):
    user = UserFactory()
    tokens.revoke(user.pk)
    tokens.revoke(user.pk)
    when = datetime(2026, 5, 4, 17, 0, tzinfo=UTC)
    schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=when)
    NotificationFactory(user=user, email=True, email_cadence="Daily", created=when - timedelta(hours=1))
    with time_machine.travel(when + timedelta(seconds=5), tick=False):
        assert digest.deliver(schedule.pk) == DigestSchedule.State.SENT
    token = mail.outbox[0].extra_headers["List-Unsubscribe"].rsplit("/", 2)[-2]
    assert tokens.read_token(token)[0] == user.pk
    assert client.post(url(token), ONE_CLICK).status_code == 200


def test_the_signed_in_user_can_revoke_their_links(client):
    user = UserFactory()
    token = make_token(user.pk, Scope.everything())
    assert Client().post(reverse("platform_notifications:revoke_unsubscribe_links")).status_code == 401
    own = Client()
    own.force_login(user)
    response = own.post(reverse("platform_notifications:revoke_unsubscribe_links"))
    assert response.status_code == 200
    assert client.post(url(token), ONE_CLICK).status_code == 410


def test_command_revokes_named_users_by_id_or_username(client):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    links = {u.pk: make_token(u.pk, Scope.everything()) for u in (alice, bob, carol)}
    call_command("revoke_unsubscribe_links", str(alice.pk), bob.username, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert client.post(url(links[alice.pk]), ONE_CLICK).status_code == 410
    assert client.post(url(links[bob.pk]), ONE_CLICK).status_code == 410
    assert client.post(url(links[carol.pk]), ONE_CLICK).status_code == 200


def test_command_revokes_everyone_with_all(client):
    users = UserFactory.create_batch(3)
    UserNotificationSettings.objects.create(user=users[0], unsubscribe_token_version=4)
    links = [make_token(u.pk, Scope.everything()) for u in users]
    call_command("revoke_unsubscribe_links", "--all", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [client.post(url(link), ONE_CLICK).status_code for link in links] == [410, 410, 410]
    assert sorted(UserNotificationSettings.objects.values_list("unsubscribe_token_version", flat=True)) == [1, 1, 5]


@pytest.mark.parametrize("args", [[], ["--all", "1"], ["nobody"]])
def test_command_needs_users_or_all(args):
    with pytest.raises(CommandError):
        call_command("revoke_unsubscribe_links", *args)


def test_admin_action_revokes_the_selected_users(admin_client, client):
    user = UserFactory()
    row = UserNotificationSettings.objects.create(user=user)
    token = make_token(user.pk, Scope.everything())
    response = admin_client.post(
        reverse("admin:platform_notifications_usernotificationsettings_changelist"),
        {"action": "revoke_unsubscribe_links", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert client.post(url(token), ONE_CLICK).status_code == 410
