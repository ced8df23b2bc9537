"""Alerts from tracing: an OpenTelemetry span processor that notifies operators when a marked span fails.

A host adds ``AlertSpanProcessor`` to its tracer provider and marks the spans worth an alert with
``mark_for_notification(span, ["app_label.codename", ...])``. The first marked span of a trace to end with an
error is remembered (spans end innermost first, so that is the innermost failing one, and later errors of
the trace are ignored); when the trace's root span ends, exactly one notification goes out through
``platform_notifications.notify``: "<span name> failed", the exception message, a link to the trace, level
ERROR, to active users holding one of the permissions (directly, through a group, or as superusers).
Configuration errors raise at construction; nothing here ever raises into traced code.
"""

from __future__ import annotations

import logging
import re
import string
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import Span, StatusCode, format_span_id, format_trace_id

log = logging.getLogger(__name__)

#: Span attributes set by ``mark_for_notification``.
NOTIFY_ATTRIBUTE = "platform_notifications.notify"
PERMISSIONS_ATTRIBUTE = "platform_notifications.permissions"

#: The registered app and type of operations alerts.
ALERT_APP = "alerts"
ALERT_TYPE = "trace_error"
ALERT_APP_SPEC = {
    "enabled": True,
    "info": "Errors reported by the platform's tracing",
    "web": True,
    "email": True,
    "push": False,
    "email_cadence": "Immediately",
    "non_editable": [],
}
ALERT_TYPE_SPEC = {
    "notification_app": ALERT_APP,
    "use_app_defaults": True,
    "content_template": "<{p}><{strong}>{level}: {title}</{strong}></{p}><{p}>{message}</{p}>",
    "content_context": {"level": "Severity", "title": "What failed", "message": "The exception message"},
}

#: ``app_label.codename``, as ``User.has_perm`` takes it.
PERMISSION = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z0-9_]+$")
#: Placeholders a trace URL template may use.
URL_FIELDS = frozenset({"trace_id", "span_id"})
#: Traces with a remembered error, waiting for their root span; bounded so a root that never ends cannot leak.
MAX_OPEN_TRACES = 10_000
MAX_MESSAGE = 1000


def mark_for_notification(span: Span, permissions: Sequence[str] = ()) -> None:
    """Mark ``span``: if it ends with an error, alert users holding one of ``permissions`` (else the default).

    Never raises: a malformed permission is logged and dropped (the processor's default audience applies).
    """
    try:
        valid = [p for p in permissions if isinstance(p, str) and PERMISSION.match(p)]
        if len(valid) != len(permissions):
            log.error("mark_for_notification: ignored malformed permissions in %r", permissions)
        span.set_attribute(NOTIFY_ATTRIBUTE, True)
        if valid:
            span.set_attribute(PERMISSIONS_ATTRIBUTE, valid)
    except Exception:
        log.exception("mark_for_notification failed")


def check_permissions(permissions: Iterable[str], where: str) -> tuple[str, ...]:
    permissions = tuple(permissions)
    bad = [p for p in permissions if not isinstance(p, str) or not PERMISSION.match(p)]
    if bad:
        raise ImproperlyConfigured(f"{where}: permissions must look like 'app_label.codename', got {bad!r}")
    return permissions


def check_url_template(template: str) -> str:
    """A template like ``https://tracing.example.com/trace/{trace_id}``: http(s) or relative, known fields only."""
    if not isinstance(template, str) or not template:
        raise ImproperlyConfigured("trace_url_template must be a non-empty string")
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ImproperlyConfigured(f"trace_url_template is not a valid format string: {error}") from error
    if "trace_id" not in fields or fields - URL_FIELDS:
        raise ImproperlyConfigured(f"trace_url_template must use {{trace_id}} and only {sorted(URL_FIELDS)}")
    sample = template.format(trace_id="0" * 32, span_id="0" * 16)
    if not (sample.startswith(("https://", "http://")) or (sample.startswith("/") and not sample.startswith("//"))):
        raise ImproperlyConfigured("trace_url_template must be an http(s) URL or a path starting with '/'")
    return template


@dataclass(frozen=True)
class Failure:
    name: str
    message: str
    permissions: tuple[str, ...]
    span_id: int


def ensure_alert_type() -> None:
    """Register the alerts app and type once (``registry.register_*``, as any extra type)."""
    from platform_notifications.config import registry

    if registry.get_app(ALERT_APP) is None:
        registry.register_app(ALERT_APP, ALERT_APP_SPEC)
    if registry.get_type(ALERT_TYPE) is None:
        registry.register_type(ALERT_TYPE, ALERT_TYPE_SPEC)


def audience(permissions: Sequence[str]) -> list[int]:
    """Active users holding any of ``permissions`` directly, through a group, or as superusers (one query)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    holds = Q(is_superuser=True)
    for permission in permissions:
        app_label, codename = permission.split(".", 1)
        holds |= Q(user_permissions__content_type__app_label=app_label, user_permissions__codename=codename)
        holds |= Q(groups__permissions__content_type__app_label=app_label, groups__permissions__codename=codename)
    users = get_user_model()._default_manager.filter(holds, is_active=True).distinct()
    return sorted(users.values_list("pk", flat=True))


def _message(span: ReadableSpan) -> str:
    for event in span.events:
        if event.name == "exception" and event.attributes:
            return str(event.attributes.get("exception.message", ""))[:MAX_MESSAGE]
    return (span.status.description or "")[:MAX_MESSAGE]


class AlertSpanProcessor(SpanProcessor):
    """Add with ``tracer_provider.add_span_processor(AlertSpanProcessor(trace_url_template=...))``."""

    def __init__(
        self,
        trace_url_template: str | None = None,
        default_permissions: Sequence[str] = (),
        send: Callable[[Failure, str, list[int]], object] | None = None,
    ) -> None:
        if trace_url_template is None:
            from platform_notifications.config.settings import get_setting

            trace_url_template = get_setting("NOTIFICATIONS_TRACE_URL_TEMPLATE")
        self.trace_url_template = check_url_template(trace_url_template)
        self.default_permissions = check_permissions(default_permissions, "default_permissions")
        self._send = send or self._notify
        self._open: OrderedDict[int, Failure] = OrderedDict()
        self._lock = threading.Lock()
        if send is None:
            ensure_alert_type()

    def on_end(self, span: ReadableSpan) -> None:
        try:
            self._on_end(span)
        except Exception:
            log.exception("alert span processor failed on span %s", getattr(span, "name", "?"))

    def _on_end(self, span: ReadableSpan) -> None:
        trace_id = span.context.trace_id
        attributes = span.attributes or {}
        if attributes.get(NOTIFY_ATTRIBUTE) and span.status.status_code == StatusCode.ERROR:
            with self._lock:
                if trace_id not in self._open:  # the first error of the trace wins
                    permissions = tuple(attributes.get(PERMISSIONS_ATTRIBUTE) or self.default_permissions)
                    self._open[trace_id] = Failure(span.name, _message(span), permissions, span.context.span_id)
                    while len(self._open) > MAX_OPEN_TRACES:
                        self._open.popitem(last=False)
        if span.parent is None or span.parent.is_remote:  # the local root: the trace is over here
            with self._lock:
                failure = self._open.pop(trace_id, None)
            if failure is not None:
                link = self.trace_url_template.format(
                    trace_id=format_trace_id(trace_id), span_id=format_span_id(failure.span_id)
                )
                self._send(failure, link, audience(failure.permissions))

    def _notify(self, failure: Failure, link: str, user_ids: list[int]) -> None:
        from platform_notifications.intake.send import notify

        if not user_ids:
            log.warning("alert %r failed: nobody holds %s", failure.name, failure.permissions)
            return
        notify(
            user_ids,
            ALERT_TYPE,
            link,
            ALERT_APP,
            None,
            {"level": "ERROR", "title": f"{failure.name} failed", "message": failure.message},
        )

    def shutdown(self) -> None:
        with self._lock:
            self._open.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
