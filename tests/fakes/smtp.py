"""A local SMTP server (aiosmtpd) in the test's own event loop, on a free port of 127.0.0.1: it
receives real mail from a real client. `mail` holds what arrived; `refused` addresses get a
550 at RCPT; `busy(n)` answers the next n messages 451 (try later); with `login` set, AUTH is
required (plain text allowed: a test server only)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Self, cast

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    sender: str
    to: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return cast(str, part.get_content())


@dataclass
class FakeMailServer:
    login: tuple[str, str] | None = None
    mail: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    sessions: int = 0
    _busy: int = 0
    _server: asyncio.Server | None = None
    port: int = 0

    host = "127.0.0.1"

    def busy(self, times: int) -> None:
        self._busy = times

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """The server goes down: connections are refused until `start` again."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _protocol(self) -> SMTP:
        self.sessions += 1
        if self.login is None:
            return SMTP(self, hostname="mail.test")
        with warnings.catch_warnings():  # a login without TLS: fine on a test server
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(
                self,
                hostname="mail.test",
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=False,
            )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.login == (
            data.login.decode(),
            data.password.decode(),
        )
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._busy:
            self._busy -= 1
            return "451 4.3.0 Try again later"
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mail.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 OK"
