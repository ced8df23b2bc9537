"""The outbox page: emails written by the file backend, as text and as (sandboxed) HTML."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from demo.course import is_course_staff
from demo.outbox import outbox_dir, read_outbox


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    # Staff see every email; a learner sees only the emails addressed to them.
    everyone = request.user.is_staff or is_course_staff(request.user)
    emails = read_outbox(None if everyone else request.user.email)
    return render(request, "demo/outbox.html", {"emails": emails, "everyone": everyone, "folder": outbox_dir()})
