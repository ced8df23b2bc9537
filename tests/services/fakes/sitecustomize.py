"""Loaded by the services suite's Celery workers (on their PYTHONPATH): replaces FCM at firebase-admin's send
boundary, ``messaging.send_each``, with an answer that records each message as a JSON line in
``$PN_FAKE_FCM_LOG``. Nothing else changes; every other provider in the suite is a real loopback server."""

import json
import os

if os.environ.get("PN_FAKE_FCM_LOG"):
    from firebase_admin import messaging

    def _send_each(messages, dry_run=False, app=None):
        with open(os.environ["PN_FAKE_FCM_LOG"], "a") as log:
            for message in messages:
                sent = {"token": message.token, "title": message.notification.title, "data": message.data}
                log.write(json.dumps(sent) + "\n")
        return messaging.BatchResponse(
            [messaging.SendResponse({"name": "projects/p/messages/1"}, None) for _ in messages]
        )

    messaging.send_each = _send_each
