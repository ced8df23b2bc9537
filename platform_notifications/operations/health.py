"""Health figures for monitoring: the request backlog and the email deliveries owed, in two aggregate queries."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from platform_notifications.models import DigestSchedule, NotificationRequest

#: An email schedule this long past its delivery time and still pending is overdue: the ETA task and the
#: ``send_due_digests`` sweep (every 15 minutes) have both missed it.
OVERDUE_AFTER = timedelta(minutes=30)

#: Default alert thresholds of ``manage.py notifications_health`` (each can be changed on the command line).
THRESHOLDS = {"oldest_pending_request_seconds": 15 * 60, "failed_requests": 0, "email_failed": 0, "digests_overdue": 0}


@dataclass(frozen=True)
class Health:
    oldest_pending_request_seconds: float | None
    pending_requests: int
    failed_requests: int
    email_pending: int
    email_sending: int
    email_failed: int
    digests_overdue: int

    def as_dict(self) -> dict:
        figures = asdict(self)
        figures["channels"] = {
            "email": {
                "pending": self.email_pending,
                "sending": self.email_sending,
                "failed": self.email_failed,
                "overdue": self.digests_overdue,
            }
        }
        return figures

    def over(self, thresholds: dict[str, float]) -> list[str]:
        """The figures above their threshold, as ``name=value>limit`` strings (empty: healthy)."""
        found = []
        for name, limit in thresholds.items():
            value = getattr(self, name)
            if value is not None and value > limit:
                found.append(f"{name}={value:g}>{limit:g}")
        return found


def current() -> Health:
    """Measure now: one aggregate over requests (index (state, modified)), one over schedules (index (state, time))."""
    now = timezone.now()
    State = NotificationRequest.State
    requests = NotificationRequest.objects.filter(state__in=(State.PENDING, State.FAILED)).aggregate(
        pending=Count("pk", filter=Q(state=State.PENDING)),
        failed=Count("pk", filter=Q(state=State.FAILED)),
        oldest=Min("created", filter=Q(state=State.PENDING)),
    )
    S = DigestSchedule.State
    schedules = DigestSchedule.objects.filter(state__in=(S.PENDING, S.SENDING, S.FAILED)).aggregate(
        pending=Count("pk", filter=Q(state=S.PENDING)),
        sending=Count("pk", filter=Q(state=S.SENDING)),
        failed=Count("pk", filter=Q(state=S.FAILED)),
        overdue=Count("pk", filter=Q(state=S.PENDING, delivery_time__lt=now - OVERDUE_AFTER)),
    )
    oldest = requests["oldest"]
    return Health(
        oldest_pending_request_seconds=round((now - oldest).total_seconds(), 1) if oldest else None,
        pending_requests=requests["pending"],
        failed_requests=requests["failed"],
        email_pending=schedules["pending"],
        email_sending=schedules["sending"],
        email_failed=schedules["failed"],
        digests_overdue=schedules["overdue"],
    )
