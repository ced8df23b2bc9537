"""Composing a notification email: HTML and text parts from templates, in the user's language, with RFC 8058 headers.

HTML is safe by construction: notification content comes from ``Notification.content`` (every context value
escaped by ``rendering``) and every other value goes through Django's autoescape.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from platform_notifications.channels.email import templates
from platform_notifications.channels.email.templates import TemplateSet
from platform_notifications.channels.email.tokens import Scope, make_token
from platform_notifications.config import locales, registry, rendering, senders
from platform_notifications.config.enums import Cadence
from platform_notifications.config.senders import Sender
from platform_notifications.config.settings import get_setting
from platform_notifications.models import Notification

#: Items shown per (app, course) group; the rest are counted behind a "more" link, so a busy week stays readable.
MAX_ITEMS_PER_GROUP = 5


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str
    language: str = ""
    #: The user's unsubscribe token version (``tokens.current_version``), loaded with the user.
    token_version: int = 0


def absolute(url: str | None) -> str:
    """An absolute http(s) URL for a link in an email; relative paths are joined to ``NOTIFICATIONS_SITE_URL``."""
    site = str(get_setting("NOTIFICATIONS_SITE_URL")).rstrip("/")
    if not url:
        return site + "/"
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if parts.scheme or parts.netloc:
        # Another scheme or a protocol-relative URL: never put it in an email.
        return site + "/"
    return f"{site}/{url.lstrip('/')}"


def unsubscribe_url(user_id: int, scope: Scope, version: int | None = None) -> str:
    token = make_token(user_id, scope, version)
    return absolute(reverse("platform_notifications:email_unsubscribe", args=[token]))


def list_scope(rows: Sequence[Notification]) -> Scope:
    """What the message's one-click unsubscribe covers: its type, its app, or all email for a mixed digest."""
    if len({row.notification_type for row in rows}) == 1:
        try:
            return Scope.of_type(rows[0].notification_type)
        except ValueError:
            return Scope.everything()
    apps = {row.app_name for row in rows}
    return Scope.app(apps.pop()) if len(apps) == 1 else Scope.everything()


def open_url(row: Notification) -> str:
    """The item's link: through ``<id>/open/``, so reading from an email marks the notification read."""
    if row.pk is None:
        return absolute(row.content_url)
    return absolute(reverse("platform_notifications:notification-open", args=[row.pk]))


def plain(content_html: str) -> str:
    """The text part of an item: tags dropped, entities decoded."""
    return html.unescape(strip_tags(content_html)).strip()


def item_context(row: Notification, recipient_name: str = "") -> dict[str, Any]:
    """What a kind's own email templates see of one row: its context values (raw: templates escape them)."""
    context = dict(row.content_context or {})
    others_count = context.get("others_count")
    if isinstance(others_count, int) and not isinstance(others_count, bool):
        # "3 others" in the reader's language, with its plural forms, at render time.
        context["others"] = rendering.others_phrase(others_count)
    return {
        **context,
        "notification": row,
        "title": row.title,
        "body": row.body,
        "level": row.level,
        "url": open_url(row),
        "content": mark_safe(row.content),  # noqa: S308 (escaped by rendering)
        "recipient_name": recipient_name,
    }


def _groups(
    recipient: Recipient, rows: Sequence[Notification], view_all: str, kinds: dict[str, TemplateSet | None]
) -> list[dict]:
    user_id, version = recipient.user_id, recipient.token_version
    ordered = sorted(rows, key=lambda r: (r.app_name, r.course_id, -r.created.timestamp(), -r.pk))
    groups = []
    for (app_name, course_id), members in groupby(ordered, key=lambda r: (r.app_name, r.course_id)):
        members = list(members)
        app = registry.get_app(app_name)
        shown = []
        for row in members[:MAX_ITEMS_PER_GROUP]:
            own = kinds.get(row.notification_type)
            if own is not None:
                values = item_context(row, recipient.name)
                item = {"html": mark_safe(own.render_html(values)), "text": own.render_text(values).strip()}  # noqa: S308 (autoescaped template)
            else:
                content = row.content
                item = {"html": mark_safe(content), "text": plain(content)}  # noqa: S308 (escaped by rendering)
            shown.append({**item, "url": open_url(row)})
        groups.append(
            {
                "app": str(app.info) if app and app.info else app_name,
                "course": members[0].content_context.get("course_name") or course_id,
                "count": len(members),
                "items": shown,
                "more": len(members) - len(shown),
                "more_url": view_all,
                "unsubscribe_url": unsubscribe_url(user_id, Scope.app(app_name), version),
            }
        )
    return groups


def subject_for(cadence: Cadence, rows: Sequence[Notification]) -> str:
    count = len(rows)
    if count == 1 and cadence == Cadence.IMMEDIATELY:
        line = " ".join(plain(rows[0].content).split())
        return Truncator(line or _("You have a new notification")).chars(120)
    if cadence == Cadence.DAILY:
        template = ngettext(
            "Your daily digest: %(count)d new notification", "Your daily digest: %(count)d new notifications", count
        )
    elif cadence == Cadence.WEEKLY:
        template = ngettext(
            "Your weekly digest: %(count)d new notification", "Your weekly digest: %(count)d new notifications", count
        )
    else:
        template = ngettext("You have %(count)d new notification", "You have %(count)d new notifications", count)
    return template % {"count": count}


def by_sender(rows: Sequence[Notification]) -> dict[str, list[Notification]]:
    """The rows of one email run split by the sender they go out from (one email per sender), default first."""
    split: dict[str, list[Notification]] = {}
    for row in rows:
        split.setdefault(senders.resolve(row.sender).id, []).append(row)
    return dict(sorted(split.items(), key=lambda item: item[0] != senders.default().id))


def compose(
    recipient: Recipient, cadence: Cadence, rows: Sequence[Notification], sender: Sender | None = None
) -> EmailMultiAlternatives:
    """The email for ``rows`` (at least one), ready to send, from ``sender`` (the rows' own one by default).

    Raises ``templates.TemplateMissing`` when the reader's locale has an incomplete set of templates.
    """
    if sender is None:
        sender = senders.resolve(rows[0].sender)
    scope = list_scope(rows)
    version = recipient.token_version
    one_click = unsubscribe_url(recipient.user_id, scope, version)
    reader = locales.normalise(recipient.language)
    with translation.override(reader or settings.LANGUAGE_CODE):
        kinds = {name: templates.for_kind(name, reader) for name in {row.notification_type for row in rows}}
        wrapper = templates.wrapper(reader)
        view_all = get_setting("NOTIFICATIONS_VIEW_ALL_URL") or absolute("/notifications/")
        context = {
            "recipient_name": recipient.name,
            "cadence": cadence.value,
            "count": len(rows),
            "groups": _groups(recipient, rows, view_all, kinds),
            "view_all_url": view_all,
            "preferences_url": get_setting("NOTIFICATIONS_PREFERENCES_URL") or absolute("/account/notifications/"),
            "unsubscribe_url": one_click,
            "unsubscribe_all_url": unsubscribe_url(recipient.user_id, Scope.everything(), version),
            "language": translation.get_language(),
        }
        own = kinds.get(rows[0].notification_type) if len(rows) == 1 and cadence == Cadence.IMMEDIATELY else None
        if own is not None:
            subject = Truncator(own.render_subject(item_context(rows[0], recipient.name))).chars(200)
        elif wrapper is not None:
            subject = wrapper.render_subject(context)
        else:
            subject = subject_for(cadence, rows)
        if wrapper is not None:
            text, body = wrapper.render_text(context), wrapper.render_html(context)
        else:
            text = render_to_string("platform_notifications/email/notifications.txt", context)
            body = render_to_string("platform_notifications/email/notifications.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender.from_header,
        to=[recipient.email],
        headers={
            # RFC 8058: a mailbox provider POSTs "List-Unsubscribe=One-Click" to this HTTPS URL, without cookies.
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(body, "text/html")
    return message
