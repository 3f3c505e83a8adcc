"""Sending mail through the company's SMTP server (`aiosmtplib`): one plain-text message to one
address. Failures come back as the typed errors every client raises: the server down or busy is
`Unavailable` (retried), our login refused is `AuthFailed`, the address refused is `Rejected`."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import StrEnum

import aiosmtplib

from tools.clients.errors import AuthFailed, IntegrationError, Rejected, Unavailable
from tools.clients.retry import DEFAULT_POLICY, RetryPolicy, retrying

SERVICE = "Mail server"


class Tls(StrEnum):
    STARTTLS = "starttls"
    """Plain connection upgraded with STARTTLS, which the server must offer (port 587)."""
    TLS = "tls"
    """TLS from the first byte (port 465)."""
    NONE = "none"
    """No encryption: only for a server on the same machine or network."""


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    sender: str
    tls: Tls = Tls.STARTTLS
    user: str | None = None
    password: str | None = None
    timeout: float = 20.0
    policy: RetryPolicy = DEFAULT_POLICY

    async def send(self, *, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)
        await retrying(self.policy, service=SERVICE, call=lambda: self._send(message))

    async def _send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.user,
                password=self.password,
                use_tls=self.tls is Tls.TLS,
                start_tls=self.tls is Tls.STARTTLS,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPAuthenticationError as e:
            raise AuthFailed(SERVICE, f"login refused: {e.code} {e.message}") from None
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused) as e:
            raise Rejected(SERVICE, f"the address was refused: {e}") from None
        except aiosmtplib.SMTPResponseException as e:
            raise _by_code(e.code, e.message) from None
        except (aiosmtplib.SMTPException, OSError) as e:
            raise Unavailable(SERVICE, f"no answer ({type(e).__name__}: {e})") from None


def _by_code(code: int, message: str) -> IntegrationError:
    """4xx is "try again later" in SMTP; 5xx is a refusal."""
    text = f"{code} {message}"
    return Unavailable(SERVICE, text) if 400 <= code < 500 else Rejected(SERVICE, text)
