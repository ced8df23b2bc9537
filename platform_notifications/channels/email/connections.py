"""Mail connections of one delivery run: the project's backend, and one SMTP session per sender with its own login.

A sender with an ``smtp_user`` (``config.senders``) authenticates on its own SMTP connection, opened once per run
and reused for every message it sends; the others share the project's backend. A connection that failed is
closed, and the next message opens it again.
"""

from __future__ import annotations

from typing import Any

from django.core.mail import get_connection

from platform_notifications.channels.email import ace
from platform_notifications.config.senders import Sender

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class Connections:
    def __init__(self, shared: Any = None) -> None:
        #: The project's backend connection (given by the caller, or opened on first use).
        self._shared = shared
        self._given = shared is not None
        self._own: dict[str, Any] = {}

    def for_sender(self, sender: Sender) -> Any:
        if sender.own_connection:
            found = self._own.get(sender.id)
            if found is None:
                found = get_connection(
                    SMTP_BACKEND, username=sender.smtp_user, password=sender.smtp_password, fail_silently=False
                )
                self._own[sender.id] = found
        else:
            if self._shared is None:
                self._shared = get_connection(fail_silently=False)
            found = self._shared
        found.open()  # a no-op when already open: one session serves the whole run
        return found

    def send(self, message: Any, sender: Sender, user_id: int | None = None) -> None:
        """Send ``message`` on ``sender``'s connection; a failure closes it (the session may be broken) and raises.

        With ``NOTIFICATIONS_EMAIL_THROUGH_ACE`` the message goes through edx-ace instead (``email.ace``).
        """
        if ace.enabled():
            ace.send(message, user_id)
            return
        connection = self.for_sender(sender)
        message.connection = connection
        try:
            message.send(fail_silently=False)
        except Exception:
            connection.close()
            raise

    def close(self) -> None:
        for connection in self._own.values():
            connection.close()
        self._own.clear()
        if self._shared is not None and not self._given:
            self._shared.close()
            self._shared = None
