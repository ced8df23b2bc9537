"""Read the emails the file backend wrote to ``EMAIL_FILE_PATH`` (the demo's outbox)."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from django.conf import settings

#: Django's file backend ends every message with a line of 79 dashes.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@dataclass(frozen=True)
class OutboxEmail:
    file: str
    subject: str
    sender: str
    recipients: tuple[str, ...]
    date: datetime | None
    text: str
    html: str
    headers: tuple[tuple[str, str], ...]


def outbox_dir() -> Path | None:
    path = getattr(settings, "EMAIL_FILE_PATH", None)
    return Path(path) if path else None


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    return part.get_content()


def parse(data: bytes, file: str) -> list[OutboxEmail]:
    """Every message in one outbox file (a file holds all messages of one connection)."""
    found = []
    for chunk in data.split(SEPARATOR):
        if not chunk.strip():
            continue
        message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
        try:
            date = parsedate_to_datetime(message["Date"]) if message["Date"] else None
        except (TypeError, ValueError):
            date = None
        found.append(
            OutboxEmail(
                file=file,
                subject=str(message["Subject"] or ""),
                sender=str(message["From"] or ""),
                recipients=tuple(addr for _name, addr in getaddresses(message.get_all("To", []))),
                date=date,
                text=_body(message, "plain"),
                html=_body(message, "html"),
                headers=tuple((k, str(v)) for k, v in message.items() if k.lower().startswith("list-")),
            )
        )
    return found


def read_outbox(recipient: str | None = None, limit: int = 50) -> list[OutboxEmail]:
    """The newest ``limit`` emails, newest first; only those addressed to ``recipient`` when given."""
    folder = outbox_dir()
    if folder is None or not folder.is_dir():
        return []
    files = sorted(folder.glob("*.log"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    result: list[OutboxEmail] = []
    for path in files:
        messages = parse(path.read_bytes(), path.name)
        for message in reversed(messages):
            if recipient is None or recipient.lower() in (r.lower() for r in message.recipients):
                result.append(message)
        if len(result) >= limit:
            break
    return result[:limit]
