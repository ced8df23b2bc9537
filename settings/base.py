"""Settings shared by every standalone settings module."""

import importlib.util
import os
from pathlib import Path

from celery.schedules import crontab

from settings.keys import signing_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

SECRET_KEY = "insecure-standalone-key-override-me"  # noqa: S105 (overridden from the environment in services)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "French"), ("es", "Spanish")]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "waffle",
    # django-push-notifications: the FCM and APNs device tables of the mobile push channel.
    "push_notifications",
    "platform_notifications",
]

MIDDLEWARE = [
    # Clears edx-toggles' per-request flag cache; without it a flag's value sticks for the process's life.
    "edx_django_utils.cache.middleware.RequestCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Joins the two JWT cookies login_refresh sets back into the one JwtAuthentication reads.
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "crum.CurrentRequestUserMiddleware",
    "waffle.middleware.WaffleMiddleware",
]

ROOT_URLCONF = "settings.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # A host project's template overrides (see templates/README.md) win over the package's own.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# JWTs as Open edX issues them (``POST /login_refresh``), verified by edx-drf-extensions' JwtAuthentication.
# Signed with an RSA key as Open edX does (JWT_PRIVATE_SIGNING_JWK, JWT_PUBLIC_SIGNING_JWK_SET from the
# environment; a multi-process deployment must set both, or share one key file). Without them a key pair is made
# when the settings load, which serves a single web process (the test suites); the system check W030 says so.
JWT_PRIVATE_SIGNING_JWK, JWT_PUBLIC_SIGNING_JWK_SET, NOTIFICATIONS_JWT_KEYS_EPHEMERAL = signing_keys(
    Path(os.environ["JWT_SIGNING_KEY_FILE"]) if os.environ.get("JWT_SIGNING_KEY_FILE") else None
)
JWT_ISSUER = {"ISSUER": "platform-notifications", "AUDIENCE": "platform-notifications", "SECRET_KEY": SECRET_KEY}
JWT_AUTH = {
    "JWT_ISSUERS": [JWT_ISSUER],
    "JWT_ISSUER": JWT_ISSUER["ISSUER"],
    "JWT_AUDIENCE": JWT_ISSUER["AUDIENCE"],
    "JWT_SECRET_KEY": SECRET_KEY,
    "JWT_ALGORITHM": "HS256",
    "JWT_SIGNING_ALGORITHM": "RS512",
    "JWT_PRIVATE_SIGNING_JWK": JWT_PRIVATE_SIGNING_JWK,
    "JWT_PUBLIC_SIGNING_JWK_SET": JWT_PUBLIC_SIGNING_JWK_SET,
    "JWT_VERIFY_AUDIENCE": True,
    "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
    "JWT_AUTH_COOKIE": "edx-jwt-cookie",
    "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
    "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    "JWT_EXPIRATION": 3600,
    "JWT_LEEWAY": 1,
}
SPECTACULAR_SETTINGS = {"TITLE": "platform-notifications API", "VERSION": "1.0.0"}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "notifications@localhost"
NOTIFICATIONS_DEFAULT_FROM_EMAIL = "notifications@localhost"

CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep-requests": {
        "task": "platform_notifications.tasks.sweep_stale_requests",
        "schedule": 300.0,
    },
    "notifications-send-due-digests": {
        "task": "platform_notifications.tasks.send_due_digests",
        "schedule": 900.0,
    },
    "notifications-sweep-deliveries": {
        "task": "platform_notifications.tasks.sweep_deliveries",
        "schedule": 300.0,
    },
    "notifications-purge": {
        "task": "platform_notifications.tasks.purge_expired_notifications",
        "schedule": crontab(hour=3, minute=30),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"platform_notifications": {"handlers": ["console"], "level": "INFO"}},
}

# edx-django-utils reports custom attributes to New Relic by default and warns on every start when New Relic is
# absent; the standalone server reports them to OpenTelemetry when the tracing extra is installed, else nowhere.
OPENEDX_TELEMETRY = (
    ["edx_django_utils.monitoring.OpenTelemetryBackend"] if importlib.util.find_spec("opentelemetry") else []
)
