"""Team alerts and approvals: the demo's non-course area, sending through ``platform_notifications.service``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from demo import kinds
from platform_notifications import service

CHECK = "payments-api"


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    """A health check the operators team watches: failing is an ERROR occurrence, recovering an INFO one."""
    if request.method == "POST":
        kinds.ensure_groups()
        failing = request.POST.get("state") == "down"
        with transaction.atomic():
            service.send(
                kinds.HEALTH_CHECK,
                {"groups": ["operators"]},
                title=f"{CHECK} is unreachable" if failing else f"{CHECK} recovered",
                body="Three probes in a row timed out." if failing else "Probes answer again.",
                level=service.Level.ERROR if failing else service.Level.INFO,
                event_data={"check": CHECK},
                scope="team:platform",
                links={"Status": "/alerts/", "Runbook": "/alerts/#runbook"},
            )
        messages.success(request, "Health check reported " + ("down." if failing else "up."))
        return redirect("demo:alerts")
    return render(request, "demo/alerts.html", {"check": CHECK})


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Ask finance to approve a purchase: the finance group, narrowed to those allowed to approve."""
    if request.method == "POST":
        kinds.ensure_groups()
        order = (request.POST.get("order") or "PO-42")[:40]
        with transaction.atomic():
            service.send(
                kinds.APPROVAL,
                {"groups": ["finance"], "permissions": [kinds.APPROVE]},
                title=f"{order} waits for your approval",
                body=f"Requested by {request.user.get_full_name() or request.user.username}.",
                links={"Review": "/approvals/"},
                actor=request.user,
            )
        messages.success(request, f"Approval of {order} requested.")
        return redirect("demo:approvals")
    return render(request, "demo/approvals.html")


@login_required
@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    from demo.models import Post

    post = Post.objects.get(pk=pk)
    if request.POST.get("follow") == "1":
        service.follow(request.user, post)
        messages.success(request, "You follow this post.")
    else:
        service.unfollow(request.user, post)
        messages.success(request, "You no longer follow this post.")
    return redirect("demo:post", pk)
