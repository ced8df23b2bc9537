"""The demo's non-course kinds (team alerts, approvals, forum followers) and its ``organization`` audience.

Registered from ``DemoConfig.ready()``; the groups and the approval permission are created on first use.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from platform_notifications import service

HEALTH_CHECK = "alerts.health_check"
APPROVAL = "approvals.requested"
THREAD_REPLY = "forum.thread_reply"
APPROVE = "demo.approve_purchase"
#: Who is in which group (the ERP's roles): everyone operates, Ana and Ben are in finance, Ana may approve.
GROUPS = {"operators": ["ana", "ben", "chloe", "sam"], "finance": ["ana", "ben"], "approvers": ["ana"]}


def register() -> None:
    service.registry.register(HEALTH_CHECK, "Health checks", email_cadence="Immediately")
    service.registry.register(APPROVAL, "Approval requests", default_priority=service.Priority.HIGH)
    service.registry.register(THREAD_REPLY, "Replies in threads I follow")
    # ``{"organization": "finance"}``: the members of that organisation's group (a host-registered key).
    service.audiences.register(
        "organization",
        lambda name: get_user_model().objects.filter(groups__name=str(name)).values_list("pk", flat=True),
    )


def ensure_groups() -> None:
    """The demo's groups and the approval permission (idempotent)."""
    from demo.models import Post

    content_type = ContentType.objects.get_for_model(Post)
    permission, _ = Permission.objects.get_or_create(
        codename="approve_purchase", content_type=content_type, defaults={"name": "Can approve purchases"}
    )
    users = {user.username: user for user in get_user_model().objects.filter(username__in=GROUPS["operators"])}
    for name, members in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.user_set.add(*[users[m] for m in members if m in users])
    Group.objects.get(name="approvers").permissions.add(permission)
