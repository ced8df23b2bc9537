"""Email templates per kind and locale, and the shared wrapper, looked up along the reader's locale fallbacks.

A kind may ship ``notifications/<app>/<type>/email_subject.<locale>.txt``, ``email_body.<locale>.txt`` and
``email_body.<locale>.html`` (``<type>`` without the ``app.`` prefix of a dotted kind): the body templates render
the kind's items inside every email, the subject that of an email about one notification. The wrapper around
the items (greeting, groups, links, unsubscribe) is ``notifications/digest/`` with the same three names; without
it, the package's built-in ``platform_notifications/email/notifications.*``.

Locales are tried in ``config.locales.fallbacks`` order (``fr-ca``, ``fr``, ``NOTIFICATIONS_DEFAULT_LOCALE``);
the first locale with any of the three files must have all three, or the email is not sent (``TemplateMissing``:
the delivery is marked failed rather than sent half in one language or with an empty part). A kind with no file
in any of those locales uses the built-in rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template

from platform_notifications.config import registry
from platform_notifications.config.locales import fallbacks

PARTS = ("email_subject.{}.txt", "email_body.{}.txt", "email_body.{}.html")
WRAPPER_DIRECTORY = "notifications/digest/"


class TemplateMissing(Exception):
    """A kind's or the wrapper's templates are incomplete for the locale chosen; nothing is sent."""


@dataclass(frozen=True)
class TemplateSet:
    locale: str
    subject: Any
    text: Any
    html: Any

    def render_subject(self, context: dict[str, Any]) -> str:
        return " ".join(_plain(self.subject, context).split())

    def render_text(self, context: dict[str, Any]) -> str:
        return _plain(self.text, context)

    def render_html(self, context: dict[str, Any]) -> str:
        return self.html.render(context)


def _plain(template: Any, context: dict[str, Any]) -> str:
    # Text parts are not HTML: rendered without autoescaping (the Django backend's own template object).
    inner = getattr(template, "template", None)
    if inner is not None:
        return inner.render(Context(context, autoescape=False))
    return template.render(context)


@lru_cache(maxsize=2048)
def _find(name: str) -> Any:
    try:
        return get_template(name)
    except TemplateDoesNotExist:
        return None


def _clear(setting: str = "", **kwargs: Any) -> None:
    if setting == "TEMPLATES":
        _find.cache_clear()


setting_changed.connect(_clear, dispatch_uid="platform_notifications.email_templates")


def lookup(directory: str, reader_locale: str | None) -> TemplateSet | None:
    """The templates of ``directory`` for a reader of ``reader_locale``; None when it has none in the chain."""
    for tag in fallbacks(reader_locale):
        found = [_find(directory + part.format(tag)) for part in PARTS]
        if not any(found):
            continue
        missing = [part.format(tag) for part, template in zip(PARTS, found, strict=True) if template is None]
        if missing:
            raise TemplateMissing(f"{directory} has templates for locale {tag!r} but not {', '.join(missing)}")
        return TemplateSet(tag, *found)
    return None


def kind_directory(notification_type: str) -> str:
    ntype = registry.get_type(notification_type)
    app = ntype.app_name if ntype else notification_type.partition(".")[0]
    name = notification_type.partition(".")[2] if "." in notification_type else notification_type
    return f"notifications/{app}/{name}/"


def for_kind(notification_type: str, reader_locale: str | None) -> TemplateSet | None:
    return lookup(kind_directory(notification_type), reader_locale)


def wrapper(reader_locale: str | None) -> TemplateSet | None:
    return lookup(WRAPPER_DIRECTORY, reader_locale)
