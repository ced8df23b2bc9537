"""The standalone project's Celery app; configured from Django settings prefixed ``CELERY_``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.dev")

app = Celery("platform_notifications_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
