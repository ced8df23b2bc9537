"""Sending kinds from any platform: ``notify`` one user now, or ``send``/``notify_for`` an audience in the background.

``notify`` writes the in-app row in the caller's transaction (and returns it); the other channels run after the
caller commits. ``send`` and ``notify_for`` store a durable request in the caller's transaction; the chunked,
set-based fan-out runs after commit, exactly like the Open edX paths.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from platform_notifications import exceptions as errors
from platform_notifications.channels.delivery import ChunkDelivery, deliver_chunk
from platform_notifications.config import NotificationType, registry, toggles
from platform_notifications.config.kinds import KindInfo, Level
from platform_notifications.config.kinds import registry as kinds
from platform_notifications.fanout import attention as fanout_attention
from platform_notifications.fanout import kinds_chunk, threads
from platform_notifications.intake import audience as audiences
from platform_notifications.intake import content as check
from platform_notifications.intake import validation as validate
from platform_notifications.intake.outbox import enqueue
from platform_notifications.models import Notification, NotificationRequest, ThreadEvent
from platform_notifications.preferences import scoped

log = logging.getLogger(__name__)


def _kind(kind: Any) -> tuple[KindInfo, NotificationType]:
    info = kinds.get(kind)
    if info is None:
        raise errors.UnknownKind(f"notification kind {kind!r} is not registered")
    return info, registry.get_type(info.type_name)


def _actor(actor: Any) -> int | None:
    if actor is None:
        return None
    return validate.user_id(getattr(actor, "pk", actor), "actor")


def _content(info: KindInfo, options: dict[str, Any]) -> check.Content:
    return check.content(
        info,
        title=options.get("title"),
        body=options.get("body"),
        url=options.get("url"),
        links_=options.get("links"),
        level=options.get("level", Level.INFO),
        priority=options.get("priority"),
        event_data=options.get("event_data"),
        once_per_thread=options.get("once_per_thread", False),
        scope=options.get("scope"),
        locale=options.get("locale"),
        sender=options.get("sender"),
    )


OPTIONS = frozenset(
    {
        "title",
        "body",
        "url",
        "links",
        "level",
        "priority",
        "event_data",
        "once_per_thread",
        "scope",
        "actor",
        "locale",
        "sender",
        "idempotency_key",
    }
)


def _check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise TypeError(f"unexpected options {', '.join(unknown)}")


def _sending(app_name: str, what: str) -> bool:
    if not toggles.ENABLE_NOTIFICATIONS.is_enabled():
        toggles.log_dropped(toggles.ENABLE_NOTIFICATIONS, "%s", what)
        return False
    if not registry.get_app(app_name).enabled:
        log.info("app %s is disabled: dropped %s", app_name, what)
        return False
    return True


def _record_event(info: KindInfo, found: check.Content, now, request: NotificationRequest | None = None) -> None:
    if found.thread_key:
        ThreadEvent.objects.create(
            thread_key=found.thread_key,
            scope=found.scope,
            kind=info.kind,
            event_data=found.event_data,
            title=found.title,
            body=found.body,
            level=found.level,
            links=found.links,
            request=request,
            created=now,
        )


def notify(user: Any, kind: str, context: dict[str, Any] | None = None, **options: Any) -> Notification | None:
    """Notify one user of ``kind``; returns the in-app row, or None when this user does not receive it.

    The row is written in the caller's transaction; email and the other channels run after it commits.
    Raises ``ValueError`` (a ``NotificationRequestError``) for an unregistered kind or bad content.
    """
    _check_options(options)
    info, ntype = _kind(kind)
    found = _content(info, options)
    stored_context = check.kind_context(info, context)
    user_id = validate.user_id(getattr(user, "pk", user), "user")
    actor_id = _actor(options.get("actor"))
    event_id = options.get("idempotency_key")
    event_id = validate.event_id(event_id) if event_id is not None else None
    if not _sending(info.app, f"{info.kind} for user {user_id}") or user_id == actor_id:
        return None
    active = user.is_active if isinstance(user, get_user_model()) else None
    if active is None:
        active = get_user_model().objects.filter(pk=user_id, is_active=True).exists()
    if not active:
        return None
    channels, standalone_email = kinds_chunk.channels_for(found.priority)
    names = {channel.name for channel in channels}
    email_on, push_on = "email" in names or standalone_email, "push" in names
    eff = scoped.for_users(ntype, [user_id], found.scope, found.priority)[user_id]
    if not (eff.web or (email_on and eff.emails) or (push_on and eff.push)):
        return None
    now = timezone.now()
    # Levels, a muted thread, do-not-disturb and quiet hours, as in the fan-out.
    prefs = {user_id: eff}
    held = fanout_attention.apply(
        prefs, found.level, found.priority, now, thread_key=found.thread_key, scope=found.scope
    )
    eff = prefs[user_id]
    with transaction.atomic():
        if event_id is not None:
            request, created = NotificationRequest.objects.get_or_create(
                event_id=event_id,
                defaults={
                    "kind": NotificationRequest.Kind.USERS,
                    "app_name": info.app,
                    "notification_type": info.type_name,
                    "user_ids": [user_id],
                    "state": NotificationRequest.State.DONE,
                    "options": found.as_options(),
                    "context": stored_context,
                    "sender_id": actor_id,
                },
            )
            if not created:
                log.info("notify %s: idempotency key %s was seen before", info.kind, event_id)
                return None
        request = NotificationRequest(
            kind=NotificationRequest.Kind.USERS,
            app_name=info.app,
            notification_type=info.type_name,
            content_url=found.url,
            context=stored_context,
            options=found.as_options(),
            created=now,
        )
        shared = kinds_chunk.shared_values(request)
        merged = threads.merge_chunk(
            [user_id],
            found.thread_key,
            found.scope,
            kinds_chunk.thread_values(shared),
            now,
            once_per_thread=found.once_per_thread,
            muted=held.muted,
        )
        if user_id in merged.skipped:
            return None
        _record_event(info, found, now)
        if merged.silent:
            # An unread thread: the occurrence is added without a second email.
            return _thread_rows(user_id, found).first()
        emails = email_on and eff.emails
        if merged.renotified:
            row = Notification.objects.get(pk=merged.renotified[0].pk)
        else:
            row = Notification.objects.create(
                user_id=user_id,
                **shared,
                web=eff.web,
                email=emails,
                push=push_on and eff.push,
                email_cadence=eff.email_cadence if emails else "",
                created=now,
                modified=now,
            )
    transaction.on_commit(
        partial(_deliver, request, ntype, row, {user_id: eff}, now, channels, standalone_email, held.held_until)
    )
    return row


def _thread_rows(user_id: int, found: check.Content) -> QuerySet:
    return Notification.objects.filter(user_id=user_id, thread_key=found.thread_key, scope=found.scope).order_by(
        "-created", "-pk"
    )


def _deliver(request, ntype, row, prefs, now, channels, standalone_email, held_until=None) -> None:
    """The channels of one ``notify``, after the caller committed (their failure never reaches the caller)."""
    from platform_notifications.channels.email import critical

    try:
        with transaction.atomic():
            deliver_chunk(ChunkDelivery(request, ntype, [row], prefs, now, held_until or {}), channels)
            if standalone_email and row.email:
                critical.send_after_commit([row.pk])
    except Exception:
        log.exception("delivering notification %s failed", row.pk)


def send(kind: str, audience: dict[str, Any], context: dict[str, Any] | None = None, **options: Any):
    """Notify an audience of ``kind`` in the background; returns the stored request (None when nothing is sent)."""
    _check_options(options)
    info, _ntype = _kind(kind)
    return _submit(info, audiences.clean(audience), context, options)


def notify_for(obj: Any, kind: str, context: dict[str, Any] | None = None, **options: Any):
    """Notify the kind's registered ``recipients(obj)``; a QuerySet of them is resolved in SQL by the fan-out."""
    _check_options(options)
    info, _ntype = _kind(kind)
    if info.recipients is None:
        raise errors.InvalidRecipients(f"notification kind {info.kind!r} has no recipients callable")
    found = info.recipients(obj)
    if isinstance(found, QuerySet) and isinstance(obj, Model) and obj.pk is not None:
        from django.contrib.contenttypes.models import ContentType

        # Stored by reference: the fan-out calls recipients(obj) again and walks the QuerySet chunk by chunk.
        cleaned = {"recipients_of": [ContentType.objects.get_for_model(obj).pk, str(obj.pk)]}
    else:
        cleaned = {
            "users": audiences.clean_users(found.values_list("pk", flat=True) if isinstance(found, QuerySet) else found)
        }
        if not cleaned["users"]:
            return None
    return _submit(info, cleaned, context, options)


def _submit(info: KindInfo, cleaned: dict[str, Any], context: Any, options: dict[str, Any]):
    found = _content(info, options)
    stored_context = check.kind_context(info, context)
    actor_id = _actor(options.get("actor"))
    event_id = validate.event_id(options.get("idempotency_key"))
    if not _sending(info.app, f"{info.kind} event {event_id}"):
        return None
    course = cleaned.get("course", {})
    with transaction.atomic():
        stored, created = NotificationRequest.objects.get_or_create(
            event_id=event_id,
            defaults={
                "kind": NotificationRequest.Kind.AUDIENCE,
                "app_name": info.app,
                "notification_type": info.type_name,
                "course_id": course.get("id", ""),
                "content_url": found.url,
                "context": stored_context,
                "sender_id": actor_id,
                "audience": cleaned,
                "options": found.as_options(),
            },
        )
        if created:
            _record_event(info, found, stored.created, stored)
    if created:
        transaction.on_commit(partial(enqueue, stored.pk))
    else:
        log.info("event %s was already received: ignored the repeat", event_id)
    return stored
