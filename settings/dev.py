"""The embedded default for ``make run``: a SQLite file, no external server.

``DATABASE_URL`` and ``REDIS_URL`` switch to real servers when set.
"""

import os

from settings.base import *  # noqa: F403
from settings.base import VAR_DIR
from settings.env import database_from_env

DEBUG = True
VAR_DIR.mkdir(exist_ok=True)
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
CELERY_BROKER_URL = os.environ.get("REDIS_URL") or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
CELERY_RESULT_BACKEND = None
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "outbox"
