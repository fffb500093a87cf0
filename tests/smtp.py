"""A real SMTP server in the test process (aiosmtpd), for tests of mail as it leaves us.

``smtp_server`` listens on a free port of 127.0.0.1 and keeps every message it accepts, parsed.
It can refuse chosen addresses with a chosen answer (``refuse``: a 4xx to be retried later, a 5xx
for good, a 421 that also closes the connection), and counts the SMTP sessions opened, so tests
can see a connection reused. ``smtp_settings`` points Django's SMTP backend at it.
"""

import asyncio
import email
import email.policy
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class SmtpHandler:
    """aiosmtpd's handler hooks: what the server answers and keeps."""

    messages: list[EmailMessage] = field(default_factory=list)
    sessions: int = 0
    # Address (lower case) → the answer to its RCPT TO, e.g. "451 4.3.0 Try again later".
    refuse: dict[str, str] = field(default_factory=dict)
    # Seconds each DATA takes, to make senders overlap.
    delay: float = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: SmtpHandler

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def refuse(self, address: str, answer: str) -> None:
        self.handler.refuse[address.lower()] = answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    # aiosmtpd logs every command at INFO; a failing test's output is clearer without them.
    log = logging.getLogger("mail.log")
    level = log.level
    log.setLevel(logging.WARNING)
    handler = SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=controller.port, handler=handler)
    finally:
        controller.stop()
        log.setLevel(level)


@pytest.fixture
def smtp_settings(smtp_server: SmtpServer, settings: Any) -> SmtpServer:
    """Django's SMTP backend, pointed at ``smtp_server``."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server
