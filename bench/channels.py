"""Outbound channel benchmark: deliveries per second to 10,000 recipients, per channel, on SQLite.

``python -m bench.channels [--quick] [--users N]``. Each channel's real path (targets, throttling, the delivery
rows, the send batches with claim and log) runs against a bare loop of the same library calls in the same run:
webhooks (standardwebhooks + requests) and Slack (requests) post to a loopback HTTP server, web push (pywebpush,
encryption and VAPID included) posts to it too, mobile push calls django-push-notifications with firebase-admin's
``send_each`` replaced by an answer in memory (the provider boundary).
JSON goes to ``bench/results/channels-sqlite.json``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import db

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 2000  # the fan-out's chunk size
TOKEN = "t" * 40 + ":APA91b" + "x" * 110


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the sender's session reuses its connection

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def fake_send_each(messages, dry_run=False, app=None):
    from firebase_admin import messaging

    return messaging.BatchResponse([messaging.SendResponse({"name": "projects/p/messages/1"}, None) for _ in messages])


def subscription_keys() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return encode(raw), encode(os.urandom(16))


def seed(user_ids: list[int], url: str) -> None:
    from push_notifications.models import GCMDevice

    from platform_notifications.models import Notification, WebhookEndpoint, WebPushSubscription

    p256dh, auth = subscription_keys()
    step = 5000
    for start in range(0, len(user_ids), step):
        part = user_ids[start : start + step]
        Notification.objects.bulk_create(
            Notification(user_id=uid, app_name="discussion", notification_type="new_response", push=True,
                         content_context={"replier_name": "Ana", "post_title": "Week 1"}, content_url="/posts/1")
            for uid in part
        )  # fmt: skip
        GCMDevice.objects.bulk_create(GCMDevice(user_id=uid, registration_id=f"{TOKEN}{uid}") for uid in part)
        WebhookEndpoint.objects.bulk_create(
            WebhookEndpoint(user_id=uid, url=f"{url}/hook", secret="whsec_" + "A" * 32) for uid in part
        )
        WebhookEndpoint.objects.bulk_create(
            WebhookEndpoint(user_id=uid, kind="slack", url=f"{url}/slack") for uid in part
        )
        WebPushSubscription.objects.bulk_create(
            WebPushSubscription(
                user_id=uid, endpoint=f"{url}/push/{uid}", endpoint_hash=str(uid), p256dh=p256dh, auth=auth
            )
            for uid in part
        )  # fmt: skip


def real(channel_name: str, user_ids: list[int]) -> float:
    """The channel's own path, chunk by chunk as the fan-out hands it over, tasks run in-process."""
    from django.utils import timezone

    from platform_notifications.channels.base import ChunkDelivery
    from platform_notifications.channels.dispatch import channel_by_name
    from platform_notifications.config import registry
    from platform_notifications.models import Notification, NotificationRequest
    from platform_notifications.preferences import effective

    channel = channel_by_name(channel_name)
    ntype = registry.get_type("new_response")
    request = NotificationRequest.objects.create(event_id=os.urandom(16).hex(), kind="users", app_name="discussion",
                                                 notification_type="new_response")  # fmt: skip
    started = time.perf_counter()
    for start in range(0, len(user_ids), CHUNK):
        part = user_ids[start : start + CHUNK]
        rows = list(Notification.objects.filter(user_id__in=part))
        prefs = effective.for_users(ntype, part)
        channel.deliver_chunk(ChunkDelivery(request, ntype, rows, prefs, timezone.now()))
    return time.perf_counter() - started


def bare(channel_name: str, user_ids: list[int], url: str, vapid: str) -> float:
    """The same library calls in a plain loop over rows read beforehand (untimed)."""
    from firebase_admin import messaging
    from push_notifications.gcm import send_message
    from pywebpush import webpush
    from standardwebhooks.webhooks import Webhook

    from platform_notifications.channels.webhook.http import guarded_session
    from platform_notifications.models import Notification, WebPushSubscription

    rows = list(Notification.objects.filter(user_id__in=user_ids))
    subs = {s.user_id: s for s in WebPushSubscription.objects.all()}
    session = guarded_session()
    hook = Webhook("whsec_" + "A" * 32)
    started = time.perf_counter()
    for row in rows:
        text = row.content
        if channel_name == "push":
            message = messaging.Message(  # the message the channel builds: badge for Android and iOS included
                notification=messaging.Notification(title="t", body=text),
                data={"notification_id": str(row.pk), "url": "u"},
                android=messaging.AndroidConfig(notification=messaging.AndroidNotification(notification_count=1)),
                apns=messaging.APNSConfig(payload=messaging.APNSPayload(aps=messaging.Aps(badge=1))),
            )
            send_message([f"{TOKEN}{row.user_id}"], message)
        elif channel_name == "webhook":
            body = json.dumps({"id": row.pk, "body": text})
            now = datetime.now(UTC)
            headers = {"webhook-id": f"msg_{row.pk}", "webhook-timestamp": str(int(now.timestamp())),
                       "webhook-signature": hook.sign(f"msg_{row.pk}", now, body)}  # fmt: skip
            session.post(f"{url}/hook", data=body, headers=headers, timeout=5)
        elif channel_name == "slack":
            session.post(f"{url}/slack", json={"text": text, "blocks": []}, timeout=5)
        else:
            sub = subs[row.user_id]
            webpush(
                {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                json.dumps({"body": text}),
                vapid_private_key=vapid,
                vapid_claims={"sub": "mailto:bench@example.com"},
                requests_session=session,
            )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 users instead of 10,000")
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--channels", default="push,webpush,webhook,slack")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    count = args.users or (1000 if args.quick else 10_000)
    db.configure("sqlite")
    from django.conf import settings
    from firebase_admin import messaging
    from waffle.models import Flag

    from platform_notifications.management.commands.generate_vapid_keys import generate
    from platform_notifications.models import DeliveryAttempt
    from settings import celery_app

    celery_app.conf.task_always_eager = True
    # Eager tasks still take a producer from the broker's pool: import its transport before any timing.
    celery_app.connection_for_write().release()
    messaging.send_each = fake_send_each
    url = serve()
    vapid, _ = generate()
    settings.NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY = vapid
    settings.NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.NOTIFICATION_TYPES_OVERRIDE = {"new_response": {"push": True}}
    settings.NOTIFICATION_APPS_OVERRIDE = {"discussion": {"push": True}}
    report = {"engine": "sqlite", "when": datetime.now(UTC).isoformat(timespec="seconds"),
              "python": platform.python_version(), "recipients": count, "channels": {}}  # fmt: skip
    with db.throwaway_database():
        Flag.objects.create(name="notifications.enable_push_notifications", everyone=True)
        user_ids = db.seed(count, {})
        seed(user_ids, url)
        for name in args.channels.split(","):
            # Alternating rounds, medians of each side: the machine is shared, so one round's noise stays its own.
            bares, reals = [], []
            for _ in range(args.rounds):
                DeliveryAttempt.objects.filter(channel=name).delete()
                bares.append(bare(name, user_ids, url, vapid))
                reals.append(real(name, user_ids))
                sent = DeliveryAttempt.objects.filter(channel=name, status="sent").count()
                unsent = DeliveryAttempt.objects.filter(channel=name).exclude(status="sent")
                assert sent == count, (name, sent, list(unsent.values("status", "error")[:3]))
            base_seconds, seconds = statistics.median(bares), statistics.median(reals)
            report["channels"][name] = {
                "deliveries_per_second": round(count / seconds, 1),
                "baseline_per_second": round(count / base_seconds, 1),
                "ratio_to_baseline": round(base_seconds / seconds, 3),
                "rounds": args.rounds,
            }
            print(name, report["channels"][name], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "channels-sqlite.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
