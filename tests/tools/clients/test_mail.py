"""The SMTP client against a real SMTP server on this machine."""

from __future__ import annotations

import pytest

from tests.fakes.clock import no_wait
from tests.fakes.smtp import FakeMailServer
from tools.clients.errors import AuthFailed, Rejected, Unavailable
from tools.clients.mail import Mailer, Tls
from tools.clients.retry import RetryPolicy

FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, sleep=no_wait)
SENDER = "bot@truerealestate.bali"


def mailer(server: FakeMailServer, **over: object) -> Mailer:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "sender": SENDER,
        "tls": Tls.NONE,
        "timeout": 5.0,
        "policy": FAST,
    }
    return Mailer(**(values | over))  # type: ignore[arg-type]


async def test_a_message_arrives_as_sent():
    async with FakeMailServer() as server:
        await mailer(server).send(to="ivan@truerealestate.bali", subject="Код: 123", body="Привет")
    (got,) = server.mail
    assert (got.sender, got.to) == (SENDER, ["ivan@truerealestate.bali"])
    assert got.message["Subject"] == "Код: 123"
    assert got.message["From"] == SENDER
    assert got.message["Message-ID"].endswith("@truerealestate.bali>")
    assert got.body.strip() == "Привет"


async def test_the_login_is_used_and_a_wrong_one_is_auth_failed():
    async with FakeMailServer(login=("bot", "right")) as server:
        await mailer(server, user="bot", password="right").send(
            to="a@b.test", subject="s", body="b"
        )
        with pytest.raises(AuthFailed, match="login refused"):
            await mailer(server, user="bot", password="wrong").send(
                to="a@b.test", subject="s", body="b"
            )
    assert len(server.mail) == 1


async def test_a_refused_address_is_rejected_at_once():
    async with FakeMailServer(refused={"gone@b.test"}) as server:
        with pytest.raises(Rejected, match="refused"):
            await mailer(server).send(to="gone@b.test", subject="s", body="b")
    assert (server.mail, server.sessions) == ([], 1)


async def test_a_busy_server_is_tried_again_and_a_down_one_is_unavailable():
    async with FakeMailServer() as server:
        server.busy(1)
        await mailer(server).send(to="a@b.test", subject="s", body="b")
        assert (len(server.mail), server.sessions) == (1, 2)

        server.busy(10)
        with pytest.raises(Unavailable, match="451"):
            await mailer(server).send(to="a@b.test", subject="s", body="b")
        assert server.sessions == 2 + FAST.attempts

        await server.stop()
        with pytest.raises(Unavailable, match="no answer"):
            await mailer(server).send(to="a@b.test", subject="s", body="b")
    assert len(server.mail) == 1
