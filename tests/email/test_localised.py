"""Email in the reader's language: per-kind templates along the locale fallbacks, the wrapper, the French catalog,
plural forms at render time, a missing template failing the delivery, and unknown locale tags refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.utils import timezone, translation

from platform_notifications import exceptions, service
from platform_notifications.channels.email import batch
from platform_notifications.config import locales
from platform_notifications.config.checks import check_configuration
from platform_notifications.config.kinds import registry as kinds
from platform_notifications.config.rendering import others_phrase
from platform_notifications.models import DigestSchedule, Notification, NotificationRequest
from tests.email.conftest import set_settings
from tests.factories import UserFactory

KIND = "billing.invoice"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def templates_dir(tmp_path):
    """A host template directory ahead of the package's, for this test."""
    engine = {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    with override_settings(TEMPLATES=[engine]):
        yield tmp_path


@pytest.fixture
def invoice_kind():
    info = service.registry.register(KIND, "Invoice", email_cadence="Daily")
    yield info
    kinds.unregister(KIND)


INVOICE_FR = {
    "notifications/billing/invoice/email_subject.fr.txt": "Facture {{ title }}",
    "notifications/billing/invoice/email_body.fr.txt": "Facture {{ title }} : {{ body }}",
    "notifications/billing/invoice/email_body.fr.html": "<p class='fr'>Facture <b>{{ title }}</b></p>",
}
INVOICE_EN = {
    "notifications/billing/invoice/email_subject.en.txt": "Invoice {{ title }}",
    "notifications/billing/invoice/email_body.en.txt": "Invoice {{ title }}: {{ body }}",
    "notifications/billing/invoice/email_body.en.html": "<p class='en'>Invoice <b>{{ title }}</b></p>",
}


def digest_for(user, *titles, notification_type=KIND, cadence="Daily"):
    now = timezone.now()
    for title in titles:
        Notification.objects.create(
            user=user,
            app_name=notification_type.partition(".")[0],
            notification_type=notification_type,
            title=title,
            body="due Friday",
            email=True,
            email_cadence=cadence,
            created=now - timedelta(hours=1),
        )
    return DigestSchedule.objects.create(user=user, cadence=cadence, delivery_time=now - timedelta(minutes=1))


def html_part(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


@pytest.mark.django_db
class TestFallbacks:
    def test_regional_locale_falls_back_to_its_language(self, email_on, templates_dir, invoice_kind):
        write(templates_dir, {**INVOICE_FR, **INVOICE_EN})
        user = UserFactory()
        set_settings(user, language="fr-ca")
        digest_for(user, "F-1 <x>")
        assert batch.deliver_due() == {"sent": 1}
        (message,) = mail.outbox
        assert "Facture F-1 <x> : due Friday" in message.body  # text part: not HTML-escaped
        assert "<p class='fr'>Facture <b>F-1 &lt;x&gt;</b></p>" in html_part(message)  # html part: escaped
        # The built-in wrapper around it speaks French through the package's catalog.
        assert "Voir toutes les notifications" in message.body
        assert message.subject == "Votre résumé quotidien : 1 nouvelle notification"

    def test_unknown_language_falls_back_to_the_default_locale(self, email_on, templates_dir, invoice_kind):
        write(templates_dir, {**INVOICE_FR, **INVOICE_EN})
        user = UserFactory()
        set_settings(user, language="de")
        with override_settings(NOTIFICATIONS_DEFAULT_LOCALE="en"):
            digest_for(user, "E-1")
            assert batch.deliver_due() == {"sent": 1}
        assert "Invoice E-1: due Friday" in mail.outbox[0].body
        assert "<p class='en'>" in html_part(mail.outbox[0])

    def test_default_locale_setting_picks_french_for_everyone_without_one(self, email_on, templates_dir, invoice_kind):
        write(templates_dir, {**INVOICE_FR, **INVOICE_EN})
        user = UserFactory()
        with override_settings(NOTIFICATIONS_DEFAULT_LOCALE="fr"):
            digest_for(user, "F-2")
            batch.deliver_due()
        assert "Facture F-2" in mail.outbox[0].body

    def test_no_kind_templates_in_the_chain_uses_the_built_in_rendering(self, email_on, templates_dir, invoice_kind):
        write(templates_dir, INVOICE_FR)  # French only; this reader is English
        user = UserFactory()
        digest_for(user, "B-1")
        assert batch.deliver_due() == {"sent": 1}
        body = mail.outbox[0].body
        assert "B-1" in body and "Facture" not in body and "View all notifications" in body

    def test_kind_subject_for_a_single_immediate_email(self, email_on, templates_dir, invoice_kind):
        write(templates_dir, INVOICE_FR)
        user = UserFactory()
        set_settings(user, language="fr")
        digest_for(user, "F-3", cadence="Immediately")
        batch.deliver_due()
        assert mail.outbox[0].subject == "Facture F-3"

    def test_shared_digest_wrapper(self, email_on, templates_dir, invoice_kind):
        write(
            templates_dir,
            {
                "notifications/digest/email_subject.fr.txt": "Résumé : {{ count }}",
                "notifications/digest/email_body.fr.txt": "{% for g in groups %}{% for i in g.items %}- {{ i.text }}\n"
                "{% endfor %}{% endfor %}Se désabonner : {{ unsubscribe_url }}",
                "notifications/digest/email_body.fr.html": "<ul>{% for g in groups %}{% for i in g.items %}"
                "<li>{{ i.html }}</li>{% endfor %}{% endfor %}</ul>",
            },
        )
        user = UserFactory()
        set_settings(user, language="fr")
        digest_for(user, "A", "B")
        batch.deliver_due()
        (message,) = mail.outbox
        assert message.subject == "Résumé : 2"
        assert "- A" in message.body and "- B" in message.body and "/unsubscribe/" in message.body
        assert "<li><p><strong>A</strong></p><p>due Friday</p></li>" in html_part(message)


@pytest.mark.django_db
class TestMissingTemplate:
    def test_incomplete_set_fails_the_delivery_and_sends_nothing(self, email_on, templates_dir, invoice_kind):
        files = dict(INVOICE_FR)
        del files["notifications/billing/invoice/email_body.fr.html"]
        write(templates_dir, files)
        user = UserFactory()
        set_settings(user, language="fr")
        schedule = digest_for(user, "F-4")
        assert batch.deliver_due() == {"failed": 1}
        assert mail.outbox == []
        schedule.refresh_from_db()
        assert schedule.state == DigestSchedule.State.FAILED
        assert "TemplateMissing" in schedule.last_error and "email_body.fr.html" in schedule.last_error
        assert Notification.objects.get().email_sent_on is None  # an operator's retry sends it once fixed

    def test_one_broken_kind_does_not_stop_the_others(self, email_on, templates_dir, invoice_kind):
        write(templates_dir, {"notifications/billing/invoice/email_subject.fr.txt": "only a subject"})
        broken, fine = UserFactory(), UserFactory()
        set_settings(broken, language="fr")
        digest_for(broken, "X")
        digest_for(fine, "Y")
        assert batch.deliver_due() == {"failed": 1, "sent": 1}
        assert [m.to for m in mail.outbox] == [[fine.email]]


class TestPlurals:
    @pytest.mark.parametrize(
        ("language", "count", "phrase"),
        [
            ("en", 1, "1 other"),
            ("en", 0, "0 others"),
            ("fr", 1, "1 autre"),
            ("fr", 0, "0 autre"),
            ("fr", 3, "3 autres"),
        ],
    )
    def test_others_in_the_readers_plural_forms(self, language, count, phrase):
        with translation.override(language):
            assert others_phrase(count) == phrase

    @pytest.mark.django_db
    def test_grouped_row_rendered_at_read_time_in_the_readers_language(self, email_on):
        user = UserFactory()
        set_settings(user, language="fr")
        context = {
            "replier_name": "Ana",
            "post_title": "Devoir 2",
            "others_count": 3,
            "others": "3 others",  # the English phrase stored when it was grouped
            "grouped": True,
            "course_name": "Cours",
        }
        Notification.objects.create(
            user=user,
            app_name="discussion",
            notification_type="new_response",
            content_context=context,
            email=True,
            email_cadence="Daily",
            created=timezone.now() - timedelta(hours=1),
        )
        DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=timezone.now() - timedelta(minutes=1))
        batch.deliver_due()
        assert "Ana et 3 autres ont répondu à votre message Devoir 2" in mail.outbox[0].body
        with translation.override("en"):
            assert "3 others" in Notification.objects.get().content


@pytest.mark.django_db
class TestLocaleTags:
    @pytest.mark.parametrize("tag", ["xx", "fr_CA", "FR", "fr-", "en-us-", "français", "f", 7])
    def test_unknown_or_malformed_tag_is_refused_and_nothing_stored(self, on_all, invoice_kind, tag, committed):
        user = UserFactory()
        with pytest.raises(exceptions.UnknownLocale):
            committed(service.notify, user, KIND, title="x", locale=tag)
        with pytest.raises(exceptions.UnknownLocale):
            committed(service.send, KIND, {"users": [user.pk]}, title="x", locale=tag)
        assert not Notification.objects.exists() and not NotificationRequest.objects.exists()

    @pytest.mark.parametrize("tag", ["fr", "fr-ca", "zh-hans", "pt-br"])
    def test_known_tags_are_accepted(self, tag):
        assert locales.check_tag(tag) == tag

    def test_fallback_chain(self):
        with override_settings(NOTIFICATIONS_DEFAULT_LOCALE="es"):
            assert locales.fallbacks("fr-CA") == ["fr-ca", "fr", "es"]
        assert locales.fallbacks("") == ["en"]

    @override_settings(NOTIFICATIONS_DEFAULT_LOCALE="EN_us")
    def test_bad_default_locale_is_a_check_error(self):
        (error,) = [e for e in check_configuration() if e.id == "platform_notifications.E031"]
        assert "'EN_us'" in error.msg


@pytest.fixture
def on_all(all_flags_on):
    """Every flag on."""


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run
