"""The web push channel: a user's browser subscriptions, each sent an encrypted JSON payload (RFC 8291).

A 404 or 410 from the push service means the subscription is gone: it is deleted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence

from pywebpush import WebPushException, webpush

from platform_notifications.channels.base import ChunkDelivery
from platform_notifications.channels.outbound import Item, OutboundChannel, Target
from platform_notifications.channels.retry import Outcome
from platform_notifications.channels.webhook.http import guarded_session
from platform_notifications.config.settings import get_setting
from platform_notifications.core.idsets import lookup
from platform_notifications.models import WebPushSubscription

log = logging.getLogger(__name__)

#: Seconds the push service keeps a message for an offline browser.
TTL = 24 * 3600


def payload_of(item: Item) -> str:
    message = item.message
    return json.dumps(
        {"title": message.title, "body": message.body, "url": message.url, "notification_id": message.notification_id}
    )


class WebPushChannel(OutboundChannel):
    name = "webpush"
    respects_quiet_hours = True

    def enabled(self) -> bool:
        if not get_setting("NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY"):
            log.info("webpush channel off: NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY is not set")
            return False
        return True

    def targets(self, delivery: ChunkDelivery) -> Iterable[Target]:
        wanted = [uid for uid, eff in delivery.prefs.items() if eff.push]
        subscribed = set(
            WebPushSubscription.objects.filter(**lookup("user_id", wanted)).values_list("user_id", flat=True).distinct()
        )
        subscribed &= set(wanted)
        if not subscribed:
            return  # nobody subscribed: the chunk's rows are never built as model instances
        for notification in delivery.notifications:
            if notification.user_id in subscribed:
                yield Target(notification.user_id, notification, "subscriptions")

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]:
        subscriptions: dict[int, list[WebPushSubscription]] = {}
        for sub in WebPushSubscription.objects.filter(user_id__in={i.attempt.user_id for i in items}):
            subscriptions.setdefault(sub.user_id, []).append(sub)
        key = get_setting("NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY")
        subject = get_setting("NOTIFICATIONS_WEBPUSH_VAPID_SUBJECT")
        gone: list[int] = []
        # The SSRF guard applies to push services too: a subscription names any URL its browser likes.
        session = guarded_session()
        outcomes = []
        for item in items:
            sent, retry, errors = False, False, []
            for sub in subscriptions.get(item.attempt.user_id, ()):
                try:
                    webpush(
                        subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                        data=payload_of(item),
                        vapid_private_key=key,
                        vapid_claims={"sub": subject},
                        ttl=TTL,
                        timeout=10,
                        requests_session=session,
                    )
                    sent = True
                except WebPushException as error:
                    status = error.response.status_code if error.response is not None else None
                    if status in (404, 410):
                        gone.append(sub.pk)
                    retry = retry or status is None or status == 429 or status >= 500
                    errors.append(f"HTTP {status}" if status else str(error)[:200])
                except Exception as error:  # connection errors from requests
                    retry = True
                    errors.append(f"{type(error).__name__}: {error}"[:200])
            if sent:
                outcomes.append(Outcome.ok(item.attempt.pk))
            elif retry:
                outcomes.append(Outcome.retry(item.attempt.pk, "; ".join(errors)))
            else:
                outcomes.append(Outcome.fail(item.attempt.pk, "; ".join(errors) or "no subscription"))
        session.close()
        if gone:
            WebPushSubscription.objects.filter(pk__in=gone).delete()
        return outcomes
