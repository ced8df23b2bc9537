"""Account pages: the notification preferences matrix, the settings page, the digest preview and its time zone."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from demo.digest_preview import preview, user_zone
from demo.forms import TimezoneForm
from platform_notifications.channels.email import schedule
from platform_notifications.config.bounds import bounded
from platform_notifications.config.kinds import Level
from platform_notifications.models import UserNotificationSettings

#: The do-not-disturb choices of the settings page (the user-settings API's durations).
DND_CHOICES = [
    ("1h", "For 1 hour"),
    ("8h", "For 8 hours"),
    ("1d", "For 1 day"),
    ("1w", "For 1 week"),
    ("1m", "For 1 month (4 weeks)"),
    ("forever", "Until I turn it off"),
]
LEVEL_CHANNELS = [
    ("web", "In the tray and the badge"),
    ("email", "By email"),
    ("push", "On my devices (push)"),
]


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    # The matrix is drawn by preferences.js from GET v3/configurations/ and saved with PUT, like the
    # Open edX account front end, so the page exercises exactly the API real clients use.
    minutes = bounded("NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES")
    return render(request, "demo/preferences.html", {"buffer_minutes": minutes})


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    # Drawn and saved by settings.js through GET|PATCH user-settings/, one change per request.
    context = {
        "dnd_choices": DND_CHOICES,
        "levels": [(level.name, level.name.title()) for level in Level],
        "level_channels": LEVEL_CHANNELS,
        "timezones": sorted(available_timezones()),
    }
    return render(request, "demo/settings.html", context)


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
