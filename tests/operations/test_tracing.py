"""Alerts from tracing, with a real OpenTelemetry TracerProvider: one notification per failed trace, or none."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import format_trace_id

from platform_notifications.config import registry
from platform_notifications.models import Notification, NotificationRequest
from platform_notifications.operations import tracing
from platform_notifications.operations.tracing import AlertSpanProcessor, mark_for_notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "https://tracing.example.com/trace/{trace_id}"
PERM = "auth.view_user"


@pytest.fixture
def alerts(notifications_on, django_capture_on_commit_callbacks):
    """A tracer on a provider with the processor; yields (tracer, run) where run() commits and fans out."""
    provider = TracerProvider()
    provider.add_span_processor(AlertSpanProcessor(trace_url_template=URL, default_permissions=[PERM]))
    tracer = provider.get_tracer("tests")
    yield tracer, django_capture_on_commit_callbacks
    provider.shutdown()
    # The alerts app is process-wide once registered; other suites count the configured apps.
    registry.unregister(apps=[tracing.ALERT_APP], types=[tracing.ALERT_TYPE])


@pytest.fixture
def operators():
    """A direct holder, a group holder, a superuser; and a user without it and an inactive holder (not alerted)."""
    permission = Permission.objects.get(content_type__app_label="auth", codename="view_user")
    direct = UserFactory()
    direct.user_permissions.add(permission)
    via_group = UserFactory()
    group = Group.objects.create(name="ops")
    group.permissions.add(permission)
    via_group.groups.add(group)
    superuser = UserFactory(is_superuser=True)
    UserFactory()
    inactive = UserFactory(is_active=False)
    inactive.user_permissions.add(permission)
    return sorted([direct.pk, via_group.pk, superuser.pk])


def fail(span, message):
    error = RuntimeError(message)
    span.record_exception(error)
    span.set_status(tracing.StatusCode.ERROR, str(error))


def test_innermost_failing_marked_span_alerts_once_when_the_trace_ends(alerts, operators):
    tracer, commits = alerts
    with commits(execute=True), tracer.start_as_current_span("handle request") as root:
        mark_for_notification(root)
        with tracer.start_as_current_span("outer step") as outer:
            mark_for_notification(outer)
            with tracer.start_as_current_span("charge card") as inner:
                mark_for_notification(inner)
                fail(inner, "card declined")
            fail(outer, "step failed")
            assert not NotificationRequest.objects.exists()  # nothing before the trace ends
        fail(root, "request failed")
        trace_id = root.get_span_context().trace_id
    request = NotificationRequest.objects.get()
    assert request.user_ids == operators
    assert request.context["title"] == "charge card failed"
    assert request.context["message"] == "card declined"
    assert request.context["level"] == "ERROR"
    assert request.content_url == URL.format(trace_id=format_trace_id(trace_id))
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == operators
    assert "charge card failed" in Notification.objects.first().content


def test_the_first_error_of_a_trace_wins(alerts, operators):
    tracer, commits = alerts
    with commits(execute=True), tracer.start_as_current_span("job"):
        for name in ("first", "second"):
            with tracer.start_as_current_span(name) as span:
                mark_for_notification(span)
                fail(span, f"{name} broke")
    assert NotificationRequest.objects.get().context["title"] == "first failed"


def test_an_exception_escaping_a_marked_span_alerts(alerts, operators):
    tracer, commits = alerts
    with commits(execute=True), pytest.raises(ValueError), tracer.start_as_current_span("import") as span:
        mark_for_notification(span)
        raise ValueError("bad row 7")
    assert NotificationRequest.objects.get().context["message"] == "bad row 7"


def test_no_error_or_no_mark_sends_nothing(alerts, operators):
    tracer, commits = alerts
    with commits(execute=True), tracer.start_as_current_span("fine") as root:
        mark_for_notification(root)
        with tracer.start_as_current_span("unmarked") as span:
            fail(span, "not worth an alert")
    assert not NotificationRequest.objects.exists()


def test_the_span_names_its_own_audience(alerts):
    tracer, commits = alerts
    holder = UserFactory()
    holder.user_permissions.add(Permission.objects.get(content_type__app_label="auth", codename="change_group"))
    UserFactory(is_superuser=True)
    with commits(execute=True), tracer.start_as_current_span("sync") as span:
        mark_for_notification(span, ["auth.change_group"])
        fail(span, "x")
    request = NotificationRequest.objects.get()
    assert holder.pk in request.user_ids and len(request.user_ids) == 2


def test_malformed_permissions_in_traced_code_never_raise(alerts, operators):
    tracer, commits = alerts
    with commits(execute=True), tracer.start_as_current_span("sync") as span:
        mark_for_notification(span, ["not a permission", 7])
        fail(span, "x")
    assert NotificationRequest.objects.get().user_ids == operators  # the default audience


def test_a_failing_send_never_reaches_traced_code(alerts, operators, monkeypatch):
    tracer, commits = alerts
    monkeypatch.setattr(tracing, "audience", lambda permissions: 1 / 0)
    with tracer.start_as_current_span("job") as span:
        mark_for_notification(span)
        fail(span, "x")
    assert not NotificationRequest.objects.exists()


@pytest.mark.parametrize(
    "template",
    [
        "",
        "https://tracing.example.com/trace/",
        "https://tracing.example.com/{trace}",
        "https://tracing.example.com/{trace_id}/{secret}",
        "javascript:alert('{trace_id}')",
        "//evil.example.com/{trace_id}",
        "https://x/{trace_id",
        None,
    ],
)
def test_bad_url_template_is_a_startup_error(template):
    with pytest.raises(ImproperlyConfigured):
        AlertSpanProcessor(trace_url_template=template)


@pytest.mark.parametrize("permissions", [["view_user"], ["auth.view user"], [None], ["Auth.View"]])
def test_bad_permission_format_is_a_startup_error(permissions):
    with pytest.raises(ImproperlyConfigured):
        AlertSpanProcessor(trace_url_template=URL, default_permissions=permissions)


def test_the_template_setting_is_the_default(settings):
    settings.NOTIFICATIONS_TRACE_URL_TEMPLATE = "https://apm.example.com/{trace_id}"
    assert AlertSpanProcessor(send=lambda *a: None).trace_url_template == "https://apm.example.com/{trace_id}"
    settings.NOTIFICATIONS_TRACE_URL_TEMPLATE = None
    with pytest.raises(ImproperlyConfigured):
        AlertSpanProcessor()


def test_relative_and_span_templates_are_accepted():
    processor = AlertSpanProcessor(trace_url_template="/ops/traces/{trace_id}#{span_id}", send=lambda *a: None)
    assert processor.trace_url_template.startswith("/ops/")
