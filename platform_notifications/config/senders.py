"""Email senders: the identities notification email goes out from (``NOTIFICATION_SENDERS``).

Each sender is a 5-tuple ``(id, display_name, from_email, smtp_user, smtp_password)``. A sender with an
``smtp_user`` authenticates on its own SMTP connection (``EMAIL_HOST``/``EMAIL_PORT``/TLS settings of the
project, its own credentials); an empty ``smtp_user`` uses the project's email backend. With ``DEBUG`` on every
sender uses the project's backend, so a developer's console or file backend catches everything.

``NOTIFICATION_DEFAULT_SENDER`` names the sender of kinds that name none; unset, mail goes out from
``NOTIFICATIONS_DEFAULT_FROM_EMAIL`` (or ``DEFAULT_FROM_EMAIL``) through the project's backend. A malformed tuple
or a default that is not in the list is a system check error (``config.checks``), never a failure at send time.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

from django.conf import settings

from platform_notifications.config.settings import get_setting

#: Longest sender id (``Notification.sender`` is 64 characters).
MAX_SENDER_ID = 64


@dataclass(frozen=True)
class Sender:
    id: str
    display_name: str
    from_email: str
    smtp_user: str = ""
    smtp_password: str = ""

    @property
    def from_header(self) -> str:
        """``Display Name <address>``, quoted where the name needs it."""
        return formataddr((self.display_name, self.from_email)) if self.display_name else self.from_email

    @property
    def own_connection(self) -> bool:
        """Whether this sender authenticates on its own SMTP connection (never with ``DEBUG`` on)."""
        return bool(self.smtp_user) and not settings.DEBUG


def problems() -> list[str]:
    """What is wrong with ``NOTIFICATION_SENDERS`` and ``NOTIFICATION_DEFAULT_SENDER``, one sentence each."""
    found: list[str] = []
    raw = get_setting("NOTIFICATION_SENDERS")
    if not isinstance(raw, list | tuple):
        return [f"NOTIFICATION_SENDERS must be a list of 5-tuples, got {type(raw).__name__}"]
    seen: set[str] = set()
    for position, entry in enumerate(raw):
        name = entry[0] if isinstance(entry, list | tuple) and entry and isinstance(entry[0], str) else None
        label = f"sender {name!r}" if name else f"NOTIFICATION_SENDERS[{position}]"
        if not isinstance(entry, list | tuple) or len(entry) != 5:
            found.append(
                f"{label} must be a 5-tuple (id, display_name, from_email, smtp_user, smtp_password), got {entry!r}"
                if not isinstance(entry, list | tuple)
                else f"{label} has {len(entry)} fields; it must be (id, display_name, from_email, smtp_user, "
                "smtp_password)"
            )
            continue
        if not all(isinstance(part, str) for part in entry):
            found.append(f"{label}: every field must be a string (use '' for no SMTP user or password)")
            continue
        sender_id, _display, address, user, password = entry
        if not sender_id or len(sender_id) > MAX_SENDER_ID or not sender_id.isprintable():
            found.append(f"{label}: the id must be a printable string of 1 to {MAX_SENDER_ID} characters")
        if sender_id in seen:
            found.append(f"{label} is listed twice")
        seen.add(sender_id)
        if "@" not in address or any(c in address for c in " <>,\r\n"):
            found.append(f"{label}: from_email {address!r} is not an email address")
        if password and not user:
            found.append(f"{label} has an smtp_password but no smtp_user")
    default = get_setting("NOTIFICATION_DEFAULT_SENDER")
    if default not in (None, "") and default not in seen:
        known = ", ".join(sorted(seen)) or "none"
        found.append(f"NOTIFICATION_DEFAULT_SENDER {default!r} is not in NOTIFICATION_SENDERS (known: {known})")
    return found


def configured() -> dict[str, Sender]:
    """The well-formed senders by id (a malformed entry is left out here and reported by the checks)."""
    senders: dict[str, Sender] = {}
    raw = get_setting("NOTIFICATION_SENDERS")
    if not isinstance(raw, list | tuple):
        return senders
    for entry in raw:
        if isinstance(entry, list | tuple) and len(entry) == 5 and all(isinstance(p, str) for p in entry) and entry[0]:
            senders.setdefault(entry[0], Sender(*entry))
    return senders


def builtin() -> Sender:
    """The sender used when none is configured: the project's from address and email backend."""
    address = get_setting("NOTIFICATIONS_DEFAULT_FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL
    return Sender(id="", display_name="", from_email=address)


def default() -> Sender:
    """``NOTIFICATION_DEFAULT_SENDER``, or the built-in sender when it is unset."""
    name = get_setting("NOTIFICATION_DEFAULT_SENDER")
    found = configured().get(name) if name else None
    return found or builtin()


def resolve(sender_id: str | None) -> Sender:
    """The sender a row names; empty means the default. A row naming a sender removed since gets the default."""
    if sender_id:
        found = configured().get(sender_id)
        if found is not None:
            return found
    return default()


def check_id(sender_id: Any) -> str:
    """``sender_id`` if it names a configured sender ("" for the default); raises ``UnknownSender`` otherwise."""
    from platform_notifications import exceptions as errors

    if sender_id is None or sender_id == "":
        return ""
    if not isinstance(sender_id, str):
        raise errors.UnknownSender(f"sender must be a sender id (a string), got {type(sender_id).__name__}")
    if sender_id not in configured():
        known = ", ".join(sorted(configured())) or "none are configured"
        raise errors.UnknownSender(f"unknown sender {sender_id!r}: NOTIFICATION_SENDERS has {known}")
    return sender_id
