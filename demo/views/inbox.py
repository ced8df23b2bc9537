"""The notifications page (``/notifications/``, every email's "View all notifications" link).

The page holds the filter form; ``inbox.js`` lists the matching notifications from the list API (with the
form's filters as its query), pages through them and applies the bulk actions (``POST bulk/``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from demo.labels import apps, kinds_by_app, labels
from platform_notifications.config.kinds import Level

STATES = [("", "Read and unread"), ("true", "Unread only"), ("false", "Read only")]


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    # The form's values come back into the page as they were sent; the API validates them (a bad one is its
    # 400, shown by the script), so nothing here trusts them beyond redisplaying them escaped.
    chosen = {name: request.GET.get(name, "") for name in ("q", "app_name", "kind", "level", "unread", "archived")}
    context = {
        "chosen": chosen,
        "apps": apps(),
        "kind_groups": kinds_by_app(),
        "levels": [(level.value, level.name.title()) for level in Level],
        "states": STATES,
        "labels": labels(),
    }
    return render(request, "demo/inbox.html", context)
