"""Fixtures of the foundation suite: sending through the real pipeline and temporary registry entries."""

from __future__ import annotations

import pytest

from platform_notifications.config import registry
from platform_notifications.intake import send as sending
from platform_notifications.models import Notification
from tests.factories import COURSE_KEY, RESPONSE_CONTEXT


@pytest.fixture
def send_course(django_capture_on_commit_callbacks):
    """``notify_course`` with its after-commit fan-out run."""

    def _send(audience_filters=None, notification_type="new_response", app_name="discussion", context=None, **kw):
        kw.setdefault("content_url", "/courses/x/posts/1")
        kw.setdefault("course_key", COURSE_KEY)
        with django_capture_on_commit_callbacks(execute=True):
            return sending.notify_course(
                app_name=app_name,
                notification_type=notification_type,
                content_context=dict(RESPONSE_CONTEXT) if context is None else context,
                audience_filters=audience_filters,
                **kw,
            )

    return _send


@pytest.fixture
def temp_registry():
    """Register apps and types on the process-wide registry for one test; they are removed afterwards."""
    added: dict[str, list[str]] = {"apps": [], "types": []}

    class Temp:
        @staticmethod
        def app(name, **spec):
            spec = {"web": True, "email": False, "push": False, **spec}
            app = registry.register_app(name, spec)
            added["apps"].append(name)  # only once registered: a refused duplicate must not remove the original
            return app

        @staticmethod
        def type(name, **spec):
            ntype = registry.register_type(name, spec)
            added["types"].append(name)
            return ntype

    yield Temp
    registry.unregister(apps=added["apps"], types=added["types"])


def recipients(**filters) -> list[int]:
    """User ids holding a notification, sorted (one per row: duplicates show up twice)."""
    return sorted(Notification.objects.filter(**filters).values_list("user_id", flat=True))
