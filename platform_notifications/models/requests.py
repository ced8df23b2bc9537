"""What producers hand in: the durable request (outbox), refused events, the standalone course roster."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from platform_notifications.core.packedids import PackedIdsField


class NotificationRequest(models.Model):
    """The outbox: one validated send request, stored in the producer's transaction and fanned out after.

    ``event_id`` (the event's metadata id) makes a repeated event a no-op; ``cursor`` (the last user id
    processed) is advanced in the same transaction as each chunk's rows, so a retried fan-out resumes.
    """

    class Kind(models.TextChoices):
        USERS = "users"
        COURSE = "course"
        #: An audience dict of ``service.send`` (users, groups, followers, course, host keys, permissions).
        AUDIENCE = "audience"

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    event_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    app_name = models.CharField(max_length=64)
    notification_type = models.CharField(max_length=64)
    course_id = models.CharField(max_length=255, blank=True, default="")
    content_url = models.CharField(max_length=2048, blank=True, default="")
    context = models.JSONField(default=dict)
    group_by_id = models.CharField(max_length=255, blank=True, default="")
    sender_id = models.BigIntegerField(null=True, blank=True)
    # As the producer gave them (validated, maybe unsorted or repeated); the fan-out walks them sorted and unique.
    user_ids = PackedIdsField(default=list, blank=True, help_text="Recipients of a users audience")
    audience_filters = models.JSONField(default=dict, blank=True)
    #: The cleaned audience dict of an ``audience`` request.
    audience = models.JSONField(default=dict, blank=True)
    #: Free-text content, level, priority, links, scope, thread key and thread options (``service``).
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    cursor = models.BigIntegerField(default=0)
    created_count = models.IntegerField(default=0)
    grouped_count = models.IntegerField(default=0)
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "modified"], name="pn_request_state_modified")]

    def __str__(self) -> str:
        return f"{self.notification_type} ({self.kind}, {self.state})"


class RefusedNotification(models.Model):
    """A send request refused for bad input, kept for operators (the producer never sees the error)."""

    created = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=64)
    event_id = models.CharField(max_length=64, blank=True, default="")
    app_name = models.CharField(max_length=255, blank=True, default="")
    notification_type = models.CharField(max_length=255, blank=True, default="")
    reason = models.TextField()
    payload = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.notification_type or '?'}: {self.reason[:60]}"


class CourseMembership(models.Model):
    """A standalone platform's course roster, used by the standalone audience filters.

    Open edX deployments do not use it: their filters read Open edX's own enrollment and role models.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course_id = models.CharField(max_length=255)
    mode = models.CharField(max_length=32, blank=True, default="audit", help_text="Enrollment mode")
    is_active = models.BooleanField(default=True)
    course_role = models.CharField(max_length=32, blank=True, default="", help_text="staff, instructor")
    discussion_role = models.CharField(max_length=32, blank=True, default="Student")
    cohort_id = models.IntegerField(null=True, blank=True)
    team_id = models.CharField(max_length=255, blank=True, default="")
    audit_access_expires = models.DateTimeField(
        null=True, blank=True, help_text="When an audit learner's access ends (empty: never); see the audit filter"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course_id"], name="pn_member_unique")]
        indexes = [models.Index(fields=["course_id", "user"], name="pn_member_course_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id}"
