"""Fixtures for the outbound channels: flags on, throttling off unless a test sets it, loopback allowed."""

import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _channels(db, settings, flags):
    flags("notifications.enable_notifications", "notifications.enable_push_notifications")
    settings.NOTIFICATIONS_THROTTLE = None
    # Tests reach their loopback servers; production refuses loopback unless an operator lists it.
    settings.NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.NOTIFICATIONS_WEBHOOK_TOTAL_TIMEOUT = 2.0


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other(db):
    return UserFactory()


@pytest.fixture
def push_on(settings):
    """Push preference on for the discussion types (their default is off)."""
    settings.NOTIFICATION_APPS_OVERRIDE = {"discussion": {"push": True}}
    settings.NOTIFICATION_TYPES_OVERRIDE = {"new_response": {"push": True}}
