"""The embedded default for ``make run``: a SQLite file, no external server, the demo platform installed.

``DATABASE_URL`` and ``REDIS_URL`` switch to real servers when set; ``NOTIFICATIONS_VAR_DIR`` moves the
SQLite files, broker and outbox elsewhere (the browser tests run each demo in a temporary folder).
"""

import os
from pathlib import Path

from settings.base import *  # noqa: F403
from settings.base import INSTALLED_APPS, JWT_AUTH, VAR_DIR
from settings.env import database_from_env
from settings.keys import signing_keys

DEBUG = True
VAR_DIR = Path(os.environ.get("NOTIFICATIONS_VAR_DIR") or VAR_DIR)
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": database_from_env()
    or {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "dev.sqlite3",
        # IMMEDIATE: a writer takes the lock up front, so the web process and the worker queue for it
        # instead of failing with "database is locked" when both upgrade a read to a write.
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    }
}
# kombu's SQLAlchemy transport on a SQLite file: a real broker with no server. The worker holds ETA
# messages until they are due, as with Redis, so buffered emails and digests take the production path.
CELERY_BROKER_URL = os.environ.get("REDIS_URL") or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
CELERY_RESULT_BACKEND = None
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "outbox"

INSTALLED_APPS = [*INSTALLED_APPS, "demo"]
LOGIN_URL = "demo:login"
# The demo's forum posts can be followed (the followers_of audience, the subscriptions API).
NOTIFICATION_FOLLOWABLE_MODELS = ["demo.post"]
LOGIN_REDIRECT_URL = "demo:forum"
NOTIFICATIONS_SITE_URL = os.environ.get("NOTIFICATIONS_SITE_URL", "http://127.0.0.1:8000")
# Shared by the web server and the worker: the worker's fan-out invalidates the tray counts the web caches.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    if os.environ.get("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
}

# Web push for the demo: a VAPID key pair made on first start and kept in VAR_DIR (never committed).
_VAPID_FILE = VAR_DIR / "vapid.json"
if not _VAPID_FILE.exists():
    import json as _json

    from platform_notifications.management.commands.generate_vapid_keys import generate as _generate

    _VAPID_FILE.write_text(_json.dumps(dict(zip(("private", "public"), _generate(), strict=True))))
_VAPID = __import__("json").loads(_VAPID_FILE.read_text())
NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY = _VAPID["private"]
NOTIFICATIONS_WEBPUSH_VAPID_PUBLIC_KEY = _VAPID["public"]

# JWT signing keys shared by the web server, the live-stream server and the workers (see settings/keys.py).
JWT_PRIVATE_SIGNING_JWK, JWT_PUBLIC_SIGNING_JWK_SET, NOTIFICATIONS_JWT_KEYS_EPHEMERAL = signing_keys(
    Path(os.environ.get("JWT_SIGNING_KEY_FILE") or VAR_DIR / "jwt-keys.json")
)
JWT_AUTH = {
    **JWT_AUTH,
    "JWT_PRIVATE_SIGNING_JWK": JWT_PRIVATE_SIGNING_JWK,
    "JWT_PUBLIC_SIGNING_JWK_SET": JWT_PUBLIC_SIGNING_JWK_SET,
}
