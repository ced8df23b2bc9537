"""A real SMTP server on loopback (aiosmtpd) that requires AUTH and checks each login against its accounts."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    login: str
    envelope_from: str
    recipients: list[str]
    message: Message


@dataclass
class Mailbox:
    accounts: dict[str, str]
    received: list[Received] = field(default_factory=list)
    refused_logins: list[str] = field(default_factory=list)
    #: Every successful AUTH: one per SMTP session a client opened.
    logins: list[str] = field(default_factory=list)

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.accounts.get(user) == password:
                self.logins.append(user)
                return AuthResult(success=True, auth_data=user)
            self.refused_logins.append(user)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        self.received.append(
            Received(
                login=session.auth_data,
                envelope_from=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                message=message_from_bytes(envelope.original_content),
            )
        )
        return "250 OK"


def start(accounts: dict[str, str]) -> tuple[Controller, Mailbox, int]:
    mailbox = Mailbox(accounts)
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=mailbox.authenticate,
        auth_required=True,
        auth_require_tls=False,  # loopback only; Django's backend logs in over plain SMTP when TLS is off
    )
    controller.start()
    return controller, mailbox, port
