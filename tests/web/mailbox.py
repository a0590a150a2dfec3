"""A real SMTP server on loopback for the e-mail tests: aiosmtpd's controller with a handler that
keeps what it accepts (``inbox`` and ``smtp_down`` fixtures are in ``conftest.py``)."""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default as default_policy

SITE = "https://diag.example.org"
"""The application's address in e-mails sent outside a request (``INNEXPORT_SITE_URL``)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None, "plain text with an HTML alternative"
    return text.get_content().replace("\r\n", "\n"), html.get_content()


def subject(message: EmailMessage) -> str:
    """The decoded subject (Django folds an encoded one after ``Subject:``, which readers unfold)."""
    return str(message["Subject"]).strip()
