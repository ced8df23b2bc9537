"""The webhook and Slack channels: every notification a user receives, posted to their endpoints."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.db.models import F
from django.utils import timezone as dj_timezone
from standardwebhooks.webhooks import Webhook

from platform_notifications.channels.base import ChunkDelivery
from platform_notifications.channels.message import Message, at_least, level_of
from platform_notifications.channels.outbound import Item, OutboundChannel, Target
from platform_notifications.channels.retry import Outcome
from platform_notifications.channels.webhook import http
from platform_notifications.config.settings import get_setting
from platform_notifications.core import queue
from platform_notifications.core.idsets import lookup
from platform_notifications.models import DeliveryAttempt, WebhookEndpoint


def _matches(endpoint_apps, endpoint_kinds, notification, courses=()) -> bool:
    """Whether a notification is in an endpoint's apps, kinds and (operator entries: a team's) courses."""
    return (
        (not endpoint_apps or notification.app_name in endpoint_apps)
        and (not endpoint_kinds or notification.notification_type in endpoint_kinds)
        and (not courses or notification.course_id in courses)
    )


def _chunk_endpoints(delivery: ChunkDelivery, users: list[int]) -> list[WebhookEndpoint]:
    """The active endpoints of every kind of the chunk's users, read once per chunk for the webhook and Slack channels.

    One query per chunk, not one per channel; a dense chunk is selected by id range (two parameters, not one per
    user).
    """
    found = delivery.memo.get("endpoints")
    if found is None:
        wanted = set(users)
        rows = WebhookEndpoint.objects.filter(active=True, **lookup("user_id", users))
        found = delivery.memo["endpoints"] = [endpoint for endpoint in rows if endpoint.user_id in wanted]
    return found


class _EndpointChannel(OutboundChannel):
    kind = WebhookEndpoint.Kind.WEBHOOK

    def _operator_targets(self, notifications) -> Iterable[Target]:
        raise NotImplementedError

    def _accepts(self, endpoint: WebhookEndpoint, notification) -> bool:
        return _matches(endpoint.apps, endpoint.kinds, notification)

    def _operators_configured(self) -> bool:
        """Whether settings name operator endpoints of this channel at all."""
        raise NotImplementedError

    def targets(self, delivery: ChunkDelivery) -> Iterable[Target]:
        # The chunk's users come from the fan-out's preferences, so that a chunk whose users have no endpoint
        # (nearly every chunk) never builds its notifications as model instances (20,000 per chunk).
        users = sorted(delivery.prefs) or sorted({n.user_id for n in delivery.notifications})
        by_user: dict[int, list[WebhookEndpoint]] = {}
        for endpoint in _chunk_endpoints(delivery, users):
            if endpoint.kind == self.kind:
                by_user.setdefault(endpoint.user_id, []).append(endpoint)
        operators = self._operators_configured()
        if not by_user and not operators:
            return
        notifications = delivery.notifications
        for notification in notifications if by_user else ():
            for endpoint in by_user.get(notification.user_id, ()):
                if self._accepts(endpoint, notification):
                    yield Target(notification.user_id, notification, f"endpoint:{endpoint.pk}")
        # Operator endpoints stand for a team, not a user: one delivery per send request, not per recipient.
        operator = list(self._operator_targets(notifications[:1])) if operators else []
        if (
            operator
            and not DeliveryAttempt.objects.filter(
                channel=self.name, request_id=delivery.request.pk, user__isnull=True
            ).exists()
        ):
            yield from operator

    def _resolve(self, items: Sequence[Item]) -> dict[str, tuple[str, str]]:
        """target -> (url, secret) for the batch (one query for the users' endpoints)."""
        ids = [int(i.attempt.target.split(":", 1)[1]) for i in items if i.attempt.target.startswith("endpoint:")]
        rows = WebhookEndpoint.objects.filter(pk__in=ids, active=True).values_list("pk", "url", "secret")
        found = {f"endpoint:{pk}": (url, secret) for pk, url, secret in rows}
        for item in items:
            if item.attempt.target.startswith("settings:"):
                config = self._operator_config(item.attempt.target)
                if config:
                    found[item.attempt.target] = (config["url"], config.get("secret", ""))
        return found

    def _operator_config(self, target: str) -> dict | None:
        raise NotImplementedError

    def _request(self, item: Item, url: str, secret: str) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]:
        endpoints = self._resolve(items)
        session = http.guarded_session()
        checked: set[str] = set()
        bounds = http.post_bounds()
        self._signers: dict[str, Webhook] = {}
        self._bodies: dict[tuple, bytes] = {}
        outcomes = []
        for item in items:
            pk = item.attempt.pk
            if item.attempt.target not in endpoints:
                outcomes.append(Outcome.fail(pk, "endpoint removed or disabled"))
                continue
            url, secret = endpoints[item.attempt.target]
            body, headers = self._request(item, url, secret)
            answer = http.post(session, url, body, headers, checked, bounds)
            if answer.status is not None and 200 <= answer.status < 300:
                outcomes.append(Outcome.ok(pk, headers.get("webhook-id", "")))
            elif answer.retryable:
                outcomes.append(Outcome.retry(pk, answer.error or f"HTTP {answer.status}"))
            else:
                outcomes.append(Outcome.fail(pk, answer.error or f"HTTP {answer.status}"))
        session.close()
        return outcomes

    def after_batch(self, items: Sequence[Item], outcomes: Sequence[Outcome], final: set[int]) -> None:
        """Count failed deliveries in a row per user endpoint; disable one at the limit and tell its owner."""
        targets = {i.attempt.pk: i.attempt.target for i in items}
        ok = {int(targets[o.attempt_id][9:]) for o in outcomes if o.sent and targets[o.attempt_id][:9] == "endpoint:"}
        bad = [int(targets[pk][9:]) for pk in final if targets.get(pk, "").startswith("endpoint:")]
        if ok:
            WebhookEndpoint.objects.filter(pk__in=ok).update(consecutive_failures=0)
        limit = int(get_setting("NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_FAILURES"))
        for pk in bad:
            WebhookEndpoint.objects.filter(pk=pk).update(consecutive_failures=F("consecutive_failures") + 1)
            disabled = WebhookEndpoint.objects.filter(pk=pk, active=True, consecutive_failures__gte=limit).update(
                active=False, disabled_at=dj_timezone.now()
            )
            if disabled:
                queue.enqueue(queue.WEBHOOK_DISABLED, [pk])


def webhook_body(message: Message, item: Item) -> dict:
    notification = item.attempt.notification
    return {
        "type": "notification.summary" if message.notification_id is None else "notification.created",
        "timestamp": dj_timezone.now().isoformat(),
        "data": {
            "id": message.notification_id,
            "user_id": notification.user_id if notification else item.attempt.user_id,
            "app_name": message.app_name,
            "notification_type": message.notification_type,
            "course_id": notification.course_id if notification else "",
            "title": message.title,
            "body": message.body,
            "url": message.url,
            "level": message.level,
            "links": message.links,
            "count": message.summary_count or 1,
        },
    }


class WebhookChannel(_EndpointChannel):
    """JSON signed per Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``)."""

    name = "webhook"

    def _operators_configured(self) -> bool:
        return bool(get_setting("NOTIFICATIONS_WEBHOOK_ENDPOINTS"))

    def _operator_targets(self, notifications) -> Iterable[Target]:
        configured = get_setting("NOTIFICATIONS_WEBHOOK_ENDPOINTS") or {}
        for notification in notifications:
            for index, entry in enumerate(configured.get(notification.app_name, ())):
                if _matches((), entry.get("kinds", ()), notification, entry.get("courses", ())):
                    yield Target(None, notification, f"settings:{notification.app_name}:{index}")

    def _operator_config(self, target: str) -> dict | None:
        _, app, index = target.split(":", 2)
        entries = (get_setting("NOTIFICATIONS_WEBHOOK_ENDPOINTS") or {}).get(app, ())
        return entries[int(index)] if int(index) < len(entries) else None

    def _request(self, item: Item, url: str, secret: str) -> tuple[bytes, dict[str, str]]:
        attempt = item.attempt
        # The same id on every retry of one delivery, so receivers can drop duplicates.
        msg_id = f"msg_{attempt.notification_id or 'summary-' + str(attempt.pk)}_{attempt.target.replace(':', '-')}"
        body = json.dumps(webhook_body(item.message, item), separators=(",", ":"))
        now = datetime.now(tz=UTC)
        headers = {"content-type": "application/json", "webhook-id": msg_id,
                   "webhook-timestamp": str(int(now.timestamp()))}  # fmt: skip
        if secret:
            signers = self.__dict__.setdefault("_signers", {})
            signer = signers.get(secret)
            if signer is None:  # one per endpoint secret and batch: decoding the key is not free
                signer = signers[secret] = Webhook(secret)
            headers["webhook-signature"] = signer.sign(msg_id, now, body)
        return body.encode(), headers


def slack_blocks(message: Message) -> dict:
    """A Block Kit message: the title as header, the body, and one button per link (the notification first)."""
    links = {"Open": message.url} if message.url else {}
    links.update(message.links)
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150] or "Notification"}},
    ]
    if message.body:
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": message.body[:3000]}})
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label[:75]}, "url": url}
        for label, url in list(links.items())[:5]
        if url.startswith(("http://", "https://"))
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": f"[{message.level}] {message.title}", "blocks": blocks}


class SlackChannel(_EndpointChannel):
    """Slack incoming webhooks, per user or per app in settings, each with a minimum level."""

    name = "slack"
    kind = WebhookEndpoint.Kind.SLACK

    def _operators_configured(self) -> bool:
        return bool(get_setting("NOTIFICATIONS_SLACK_CHANNELS"))

    def _accepts(self, endpoint: WebhookEndpoint, notification) -> bool:
        return super()._accepts(endpoint, notification) and at_least(level_of(notification), endpoint.min_level)

    def _operator_targets(self, notifications) -> Iterable[Target]:
        for index, entry in enumerate(get_setting("NOTIFICATIONS_SLACK_CHANNELS") or ()):
            for notification in notifications:
                level_ok = at_least(level_of(notification), entry.get("min_level", "INFO"))
                narrowed = _matches(
                    entry.get("apps", ()), entry.get("kinds", ()), notification, entry.get("courses", ())
                )
                if level_ok and narrowed:
                    yield Target(None, notification, f"settings:slack:{index}")

    def _operator_config(self, target: str) -> dict | None:
        index = int(target.rsplit(":", 1)[1])
        entries = get_setting("NOTIFICATIONS_SLACK_CHANNELS") or ()
        return entries[index] if index < len(entries) else None

    def _request(self, item: Item, url: str, secret: str) -> tuple[bytes, dict[str, str]]:
        message = item.message
        # The rows of one notification share their Block Kit body: it is built once per batch.
        key = (message.title, message.body, message.url, message.level, tuple(message.links.items()))
        bodies = self.__dict__.setdefault("_bodies", {})
        body = bodies.get(key)
        if body is None:
            body = bodies[key] = json.dumps(slack_blocks(message)).encode()
        return body, {"content-type": "application/json"}
