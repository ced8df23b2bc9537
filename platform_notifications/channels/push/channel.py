"""The mobile push channel: a user's active FCM and APNs devices, through django-push-notifications.

Rows get ``push`` from the user's preference while the flag is on; ``targets`` keeps the users with at least
one active device. Tokens the provider reports unregistered or invalid are deactivated by the library.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.db.models import Count

from platform_notifications.channels.base import ChunkDelivery
from platform_notifications.channels.outbound import Item, OutboundChannel, Target
from platform_notifications.channels.retry import Outcome
from platform_notifications.config import toggles
from platform_notifications.config.settings import get_setting
from platform_notifications.core.idsets import lookup

log = logging.getLogger(__name__)

#: firebase-admin errors worth another attempt (the provider's own outage or rate limit).
FCM_RETRYABLE = ("UnavailableError", "InternalError", "QuotaExceededError", "TransportError", "DeadlineExceeded")
#: APNs reasons worth another attempt (aioapns and the library report these texts).
APNS_RETRYABLE = ("TimeoutError", "CommunicationError", "ServiceUnavailable", "InternalServerError",
                  "TooManyRequests", "Shutdown")  # fmt: skip


class PushChannel(OutboundChannel):
    name = "push"
    respects_quiet_hours = True

    def enabled(self) -> bool:
        if not toggles.ENABLE_PUSH_NOTIFICATIONS.is_enabled():
            return False
        if not get_setting("NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL"):
            log.info("push channel off: NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL hides the push column")
            return False
        return True

    def targets(self, delivery: ChunkDelivery) -> Iterable[Target]:
        from push_notifications.models import APNSDevice, GCMDevice

        wanted = [uid for uid, eff in delivery.prefs.items() if eff.push]
        if not wanted:
            return
        # One query per chunk: who of the chunk has an active device at all (a dense chunk by id range).
        users = lookup("user_id", wanted)
        fcm = GCMDevice.objects.filter(**users, active=True).values_list("user_id", flat=True)
        apns = APNSDevice.objects.filter(**users, active=True).values_list("user_id", flat=True)
        with_devices = set(fcm.union(apns)) & set(wanted)
        if not with_devices:
            return  # nobody to push to: the chunk's rows are never built as model instances
        for notification in delivery.notifications:
            if notification.push and notification.user_id in with_devices:
                yield Target(notification.user_id, notification, "devices")

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]:
        from push_notifications.models import APNSDevice, GCMDevice

        users = {item.attempt.user_id for item in items}
        fcm: dict[int, list[str]] = {}
        apns: dict[int, list[str]] = {}
        for uid, token in GCMDevice.objects.filter(
            user_id__in=users, active=True, cloud_message_type="FCM"
        ).values_list("user_id", "registration_id"):
            fcm.setdefault(uid, []).append(token)
        for uid, token in APNSDevice.objects.filter(user_id__in=users, active=True).values_list(
            "user_id", "registration_id"
        ):
            apns.setdefault(uid, []).append(token)
        badges = unread_counts(users)
        outcomes = []
        for item in items:
            uid = item.attempt.user_id
            results = [send_fcm(fcm[uid], item, badges.get(uid, 0))] if uid in fcm else []
            results += [send_apns(apns[uid], item, badges.get(uid, 0))] if uid in apns else []
            outcomes.append(combine(item.attempt.pk, results))
        return outcomes


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """The badge: unread tray rows per user, one grouped query per batch (uses index (user, last_seen, web))."""
    from platform_notifications.models import Notification

    rows = (
        Notification.objects.filter(user_id__in=list(user_ids), web=True, last_read__isnull=True)
        .counted()
        .values_list("user_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def data_of(item: Item) -> dict[str, str]:
    # FCM data values must be strings.
    return {"notification_id": str(item.message.notification_id or ""), "url": item.message.url}


def send_fcm(tokens: list[str], item: Item, badge: int) -> tuple[str, bool, str]:
    """One user's FCM devices; returns (state, retryable, detail) with state ``sent`` or ``failed``."""
    from firebase_admin import messaging
    from push_notifications.gcm import send_message

    message = messaging.Message(
        notification=messaging.Notification(title=item.message.title, body=item.message.body),
        data=data_of(item),
        android=messaging.AndroidConfig(notification=messaging.AndroidNotification(notification_count=badge)),
        apns=messaging.APNSConfig(payload=messaging.APNSPayload(aps=messaging.Aps(badge=badge))),
    )
    try:
        batch = send_message(tokens, message)
    except Exception as error:  # the whole request failed (network, auth): retry
        return "failed", True, f"fcm: {type(error).__name__}: {error}"
    sent = [r.message_id for r in batch.responses if r.success]
    if sent:
        return "sent", False, sent[0]
    errors = [type(r.exception).__name__ for r in batch.responses]
    return "failed", any(e in FCM_RETRYABLE for e in errors), "fcm: " + ", ".join(errors)


def send_apns(tokens: list[str], item: Item, badge: int) -> tuple[str, bool, str]:
    from push_notifications.apns_async import Alert, apns_send_bulk_message

    try:
        results = apns_send_bulk_message(
            registration_ids=tokens,
            alert=Alert(title=item.message.title, body=item.message.body),
            badge=badge,
            extra=data_of(item),
        )
    except Exception as error:  # the library raises when any token failed (and deactivated the invalid ones)
        detail = str(error)
        return "failed", any(reason in detail for reason in APNS_RETRYABLE), f"apns: {detail}"
    return "sent", False, "apns:" + ",".join(sorted(results))[:200]


def combine(attempt_id: int, results: list[tuple[str, bool, str]]) -> Outcome:
    """Sent when any device got it; otherwise retry if any failure was the provider's, else failed."""
    for state, _, detail in results:
        if state == "sent":
            return Outcome.ok(attempt_id, detail)
    detail = "; ".join(d for _, _, d in results) or "no active device"
    if any(retry for _, retry, _ in results):
        return Outcome.retry(attempt_id, detail)
    return Outcome.fail(attempt_id, detail)
