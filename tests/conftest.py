"""Shared fixtures: flags, users, and a helper that sends through the real signal."""

import pytest
from waffle.testutils import override_flag

from platform_notifications.intake import send as sending
from tests.factories import COURSE_KEY, RESPONSE_CONTEXT, UserFactory

FLAGS = (
    "notifications.enable_notifications",
    "notifications.enable_email_notifications",
    "notifications.enable_notification_grouping",
    "notifications.enable_push_notifications",
)


@pytest.fixture
def flags():
    """Turn flags on by name for the test: ``flags("notifications.enable_notifications", ...)``."""
    active = []

    def enable(*names, active_value=True):
        for name in names:
            override = override_flag(name, active=active_value)
            override.enable()
            active.append(override)

    yield enable
    for override in reversed(active):
        override.disable()


@pytest.fixture
def notifications_on(flags):
    flags("notifications.enable_notifications")


@pytest.fixture
def all_flags_on(flags):
    flags(*FLAGS)


@pytest.fixture
def users(db):
    return UserFactory.create_batch(5)


@pytest.fixture(autouse=True)
def _fresh_flag_caches():
    # Waffle caches flags in the default cache and edx-toggles in the per-request cache; a test must
    # not see the previous test's flags.
    from django.core.cache import cache
    from edx_django_utils.cache import RequestCache

    cache.clear()
    RequestCache.clear_all_namespaces()
    yield
    cache.clear()
    RequestCache.clear_all_namespaces()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """``notify`` with its after-commit fan-out run, as a producer's committed transaction would."""

    def _send(user_ids, notification_type="new_response", app_name="discussion", context=None, **kwargs):
        kwargs.setdefault("content_url", "/courses/x/posts/1")
        kwargs.setdefault("course_key", COURSE_KEY)
        with django_capture_on_commit_callbacks(execute=True):
            return sending.notify(
                user_ids,
                notification_type,
                app_name=app_name,
                context=dict(RESPONSE_CONTEXT) if context is None else context,
                **kwargs,
            )

    return _send
