"""Settings for real servers: the database from ``DATABASE_URL`` (MariaDB or PostgreSQL), Celery on Redis."""

import os

from settings.base import *  # noqa: F403
from settings.env import database_from_env

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "services-suite-key")
DATABASES = {"default": database_from_env() or {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_platform_notifications")}
# A Redis database of its own per run unless REDIS_URL names one, so that concurrent runs on one server never
# consume each other's messages; the suite hands this URL to the workers it starts (tests/services/conftest.py),
# so that the test process and its workers share the broker, the tray-count cache and the live channel.
CELERY_BROKER_URL = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}"
CELERY_RESULT_BACKEND = None
# Shared by the test process and the workers (the tray counts are invalidated by the workers' fan-outs).
# The tray counts live in Redis, shared by the web processes and the workers that invalidate them. Everything else
# (waffle's flag cache among it) stays in process: a Redis outage must not reach a producer's flag check.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "counts": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CELERY_BROKER_URL},
}
NOTIFICATION_COUNT_CACHE = "counts"
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "/tmp/platform-notifications-outbox")  # noqa: S108
# Redis hands an unacknowledged message (its worker died mid-task) to another worker after this many seconds;
# the services suite lowers it to see a killed fan-out redelivered. Keep it above the longest task in production.
_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # Look for such messages at least as often as the timeout (kombu's default sweep is every ~100 s).
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT)),
    "unacked_restore_throttle": 1,
}
if os.environ.get("NOTIFICATION_CREATION_BATCH_SIZE"):
    NOTIFICATION_CREATION_BATCH_SIZE = int(os.environ["NOTIFICATION_CREATION_BATCH_SIZE"])

# Outbound channels, from the environment (the services suite points them at loopback servers).
if os.environ.get("NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS"):
    NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS = os.environ["NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS"].split(",")
if os.environ.get("NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY"):
    NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY = os.environ["NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY"]
