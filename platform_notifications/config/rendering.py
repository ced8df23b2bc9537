"""Render a notification type's content template into safe HTML.

Every context value is HTML-escaped; only the template's own markup (``{p}``, ``{strong}``) survives,
so a value like ``<script>`` can never reach a page as markup.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.html import escape
from django.utils.translation import ngettext

from platform_notifications.config import registry

if TYPE_CHECKING:
    from platform_notifications.config import NotificationType

#: Context key set by a grouper when the row stands for several notifications.
GROUPED_FLAG = "grouped"

TAGS = {"p": "p", "strong": "strong"}


class Renderable(Protocol):
    """What rendering reads of a row: its type and context (a ``Notification``; models import this module)."""

    notification_type: str
    content_context: Mapping[str, Any] | None


class _EscapingFormatter(string.Formatter):
    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        # Only plain names: ``{x.__class__}`` or ``{x[0]}`` would reach into objects. Registration refuses
        # such templates; this guards types built by hand, rendering the field empty.
        if not field_name.isidentifier():
            return "", field_name
        return self.get_value(field_name, args, kwargs), field_name

    def get_value(self, key: Any, args: Any, kwargs: Mapping[str, Any]) -> Any:
        # A row stored before a template gained a variable renders it empty rather than failing.
        return kwargs.get(key, "")

    def format_field(self, value: Any, format_spec: str) -> str:
        # The spec is ignored for the same reason (and a mismatched one would raise at read time).
        return escape(super().format_field(value, ""))

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        # No !r / !s / !a: a conversion could bypass escaping of nested reprs; templates never need it.
        return value


_formatter = _EscapingFormatter()


def others_phrase(count: int) -> str:
    """ "1 other" / "3 others" in the active language, with its plural forms (``ngettext``)."""
    return ngettext("%(count)d other", "%(count)d others", count) % {"count": count}


def render_content(ntype: NotificationType, context: Mapping[str, Any]) -> str:
    """HTML for ``ntype`` with ``context``; uses the grouped template when the row is grouped.

    A grouper's ``others`` is phrased again from ``others_count`` in the active language (the stored phrase is
    the English one of the moment it was grouped).
    """
    template = ntype.content_template
    if context.get(GROUPED_FLAG) and ntype.grouped_content_template:
        template = ntype.grouped_content_template
    values = {**context, **TAGS}
    count = context.get("others_count")
    if "others" in context and isinstance(count, int) and not isinstance(count, bool):
        values["others"] = others_phrase(count)
    return _formatter.vformat(str(template), (), values)


def render_notification(notification: Renderable) -> str:
    ntype = registry.get_type(notification.notification_type)
    if ntype is None:
        # The type was removed from configuration after this row was created.
        return ""
    return render_content(ntype, notification.content_context or {})
