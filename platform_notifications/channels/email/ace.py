"""Sending a composed notification email through edx-ace, as Open edX's own notifications do.

With ``NOTIFICATIONS_EMAIL_THROUGH_ACE`` on and edx-ace installed, every email (immediate, buffered, digest) is
handed to ``edx_ace.ace.send`` as a transactional ``Message`` carrying our rendered subject, text and HTML, so
the operator's ACE channels (``ACE_ENABLED_CHANNELS``, ``ACE_CHANNEL_TRANSACTIONAL_EMAIL``) and policies
apply. The ACE templates (``platform_notifications/edx_ace/notification/email/``) only place those parts. The
unsubscribe headers travel as the message's headers. A delivery error ACE reports is raised here, so the
schedule's retry and failure rules stay the same as with Django's mail backend; ACE sends on its own
connection, so a sender's own SMTP login does not apply in this mode.
"""

from __future__ import annotations

import re
from typing import Any

from platform_notifications.config.settings import get_setting

#: ``Message.name`` and ``app_label``: the ACE templates live under ``<app_label>/edx_ace/<name>/email/``.
MESSAGE_NAME = "notification"
APP_LABEL = "platform_notifications"
_HEAD = re.compile(r"<head[^>]*>(.*?)</head>", re.S | re.I)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)


def enabled() -> bool:
    """Whether email goes through ACE: the setting is on and edx-ace can be imported."""
    if not get_setting("NOTIFICATIONS_EMAIL_THROUGH_ACE"):
        return False
    try:
        import edx_ace  # noqa: F401
    except ImportError:
        return False
    return True


def _parts(message: Any) -> tuple[str, str]:
    """(head, body) of the message's HTML alternative; ACE wraps them in its own document."""
    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    head, body = _HEAD.search(html), _BODY.search(html)
    return (head.group(1) if head else ""), (body.group(1) if body else html)


def send(message: Any, user_id: int | None = None) -> None:
    """Send the composed ``EmailMultiAlternatives`` through ``ace.send``; raise what ACE reports as an error."""
    from edx_ace import ace
    from edx_ace.channel import ChannelType
    from edx_ace.message import Message
    from edx_ace.recipient import Recipient

    head, body = _parts(message)
    errors: list[str] = []

    class Reported(Message):
        # ``ace.send`` reports a channel's failure on the message instead of raising.
        def report(self, key, value):
            if key.endswith("_error"):
                errors.append(f"{key}: {value}")
            return super().report(key, value)

    name = message.from_email.rsplit("<", 1)[0].strip().strip('"') if "<" in message.from_email else ""
    ace_message = Reported(
        name=MESSAGE_NAME,
        app_label=APP_LABEL,
        recipient=Recipient(lms_user_id=user_id, email_address=message.to[0]),
        language=message.extra_headers.get("Content-Language") or None,
        context={
            "subject": message.subject,
            "text_body": message.body,
            "head_html": head,
            "body_html": body,
            "from_name": name,
        },
        options={"transactional": True, "from_address": message.from_email},
        headers=dict(message.extra_headers),
    )
    ace.send(ace_message, limit_to_channels=[ChannelType.EMAIL])
    if errors:
        raise RuntimeError("; ".join(errors))
