"""A real SMTP server on 127.0.0.1 for the e-mail tests: aiosmtpd, TLS with a trustme certificate, required login."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from risk_assets_tests.processes import free_port

HOST = "127.0.0.1"
USER = "reports@school.example"
PASSWORD = "correct-horse-battery-staple"
TEMPORARY_FAILURE = "421 4.3.2 Service temporarily unavailable, try again later"


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


class RecordingHandler:
    """Stores every accepted envelope and counts connections and MAIL commands.

    fail_first answers 421 to the first MAIL or DATA command only; refuse answers `refusal` to those recipients;
    stall_first_data stores the first message, then waits that many seconds before answering (the client sees
    no reply: a crash there leaves it not knowing that the message was accepted). A test that sets `gate` to a
    threading.Event holds the next DATA, after storing its message, until the event is set."""

    def __init__(self, *, fail_first: Literal["MAIL", "DATA"] | None = None, refuse: Collection[str] = (),
                 refusal: str = "550 5.1.1 No such user here", stall_first_data: float = 0.0) -> None:
        self.received: list[ReceivedMessage] = []
        self.connections = 0
        self.mail_commands = 0
        self._fail_first = fail_first
        self._refuse = set(refuse)
        self._refusal = refusal
        self._stall = stall_first_data
        self.gate: threading.Event | None = None

    def _fails_now(self, command: str) -> bool:
        if self._fail_first != command:
            return False
        self._fail_first = None
        return True

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # A session starts over after STARTTLS (then with session.ssl set): count only each connection's first EHLO.
        if session.ssl is None:
            self.connections += 1
        session.host_name = hostname  # this hook's duty in aiosmtpd
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_commands += 1
        if self._fails_now("MAIL"):
            return TEMPORARY_FAILURE
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self._refuse:
            return self._refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self._fails_now("DATA"):
            return TEMPORARY_FAILURE
        self.received.append(ReceivedMessage(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        stall, self._stall = self._stall, 0.0
        await asyncio.sleep(stall)
        gate, self.gate = self.gate, None
        while gate is not None and not gate.is_set():
            await asyncio.sleep(0.02)
        return "250 Message accepted for delivery"


class CountingAuthenticator:
    """Accepts exactly USER / PASSWORD; records every AUTH attempt's mechanism."""

    def __init__(self) -> None:
        self.mechanisms: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.mechanisms.append(mechanism)
        accepted = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
                    and auth_data.password == PASSWORD.encode())
        return AuthResult(success=accepted, handled=False)


@dataclass
class RunningServer:
    port: int
    handler: RecordingHandler
    authenticator: CountingAuthenticator = field(default_factory=CountingAuthenticator)
    host: str = HOST


def issue_certificate(ca: trustme.CA) -> ssl.SSLContext:
    """The server side of TLS: a certificate for 127.0.0.1 and localhost, signed by the test CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    return context


@contextmanager
def running_smtp_server(ca: trustme.CA, handler: RecordingHandler | None = None, *,
                        implicit_tls: bool = False,
                        mechanisms: Collection[str] = ("LOGIN", "PLAIN")) -> Iterator[RunningServer]:
    """STARTTLS required before AUTH, AUTH required before MAIL; or, with implicit_tls, TLS from the first byte."""
    server = RunningServer(port=free_port(), handler=handler or RecordingHandler())
    tls = issue_certificate(ca)
    options: dict[str, Any] = dict(authenticator=server.authenticator, auth_required=True,
                                   auth_exclude_mechanism=[m for m in ("LOGIN", "PLAIN") if m not in mechanisms])
    if implicit_tls:
        # aiosmtpd's auth_require_tls knows only STARTTLS; here the whole connection is TLS already.
        controller = Controller(server.handler, hostname=HOST, port=server.port, ssl_context=tls,
                                auth_require_tls=False, **options)
    else:
        controller = Controller(server.handler, hostname=HOST, port=server.port, tls_context=tls,
                                require_starttls=True, auth_require_tls=True, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    """The test certificate authority: signs the servers' certificates, trusted by the client via SMTP_CA_FILE."""
    return trustme.CA()


@pytest.fixture
def smtp_ca_file(smtp_ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "smtp-ca.pem"
    smtp_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def smtp_server(smtp_ca: trustme.CA) -> Iterator[RunningServer]:
    with running_smtp_server(smtp_ca) as server:
        yield server
