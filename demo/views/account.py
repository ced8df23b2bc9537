"""Account pages: the notification preferences matrix, the digest preview and the timezone form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from demo.digest_preview import preview, user_zone
from demo.forms import TimezoneForm
from platform_notifications.channels.email import schedule
from platform_notifications.models import UserNotificationSettings


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    # The matrix is drawn by preferences.js from GET v3/configurations/ and saved with PUT, like the
    # Open edX account front end, so the page exercises exactly the API real clients use.
    return render(request, "demo/preferences.html")


@login_required
def digest(request: HttpRequest) -> HttpResponse:
    current = UserNotificationSettings.objects.filter(user=request.user).values("timezone", "digest_frequency").first()
    form = TimezoneForm(request.POST or None, initial=current or {"timezone": "", "digest_frequency": "default"})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            UserNotificationSettings.objects.update_or_create(
                user=request.user,
                defaults={
                    "timezone": form.cleaned_data["timezone"],
                    "digest_frequency": form.cleaned_data["digest_frequency"] or "default",
                },
            )
            schedule.reschedule_user(request.user.pk)  # open digests follow the new clock
        messages.success(request, "Timezone and digest schedule saved.")
        return redirect("demo:digest")
    context = {"form": form, "zone": user_zone(request.user), "digests": preview(request.user)}
    return render(request, "demo/digest.html", context)
