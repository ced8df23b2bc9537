"""Settings for ``make test``: SQLite in memory, Celery tasks run eagerly, email kept in memory."""

from settings.base import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
LOGGING = {"version": 1, "disable_existing_loggers": False}
# The unit suite is one process: the key pair made when the settings load signs and verifies every JWT it uses.
NOTIFICATIONS_JWT_KEYS_EPHEMERAL = False
