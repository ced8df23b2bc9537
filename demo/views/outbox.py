"""The outbox page: emails written by the file backend, as text and as (sandboxed) HTML."""

from __future__ import annotations

import re
from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from demo.course import is_course_staff
from demo.outbox import outbox_dir, read_outbox


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    # Staff see every email; a learner sees only the emails addressed to them.
    everyone = request.user.is_staff or is_course_staff(request.user)
    emails = [
        replace(mail, html=links_leave_the_frame(mail.html))
        for mail in read_outbox(None if everyone else request.user.email)
    ]
    return render(request, "demo/outbox.html", {"emails": emails, "everyone": everyone, "folder": outbox_dir()})


HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)
#: Every link of the email opens in a new tab, outside the sandboxed frame (where forms and scripts do not run,
#: so an unsubscribe page opened inside it could not be confirmed).
BASE = '<base target="_blank">'


def links_leave_the_frame(html: str) -> str:
    """The email's HTML with a ``<base target="_blank">`` in its head (or in front when it has no head)."""
    if not html:
        return html
    match = HEAD.search(html)
    return html[: match.end()] + BASE + html[match.end() :] if match else BASE + html
