"""A registration through the real `openai` client over HTTP, against a scripted server."""

import pytest
from pydantic import SecretStr

from agent.assistant import build_agent
from agent.channel import Inbound, Sender
from agent.model import ModelNotConfigured, build_model
from agent.runtime import Runtime, limits_from, rules_from
from agent.settings import Settings, default_settings
from agent.turn import run_turn
from db.pool import create_pool
from db.reps import get_rep_by_telegram_id
from tests.agent.fake_openai import FakeOpenAI
from tests.agent.scripted import ADMIN, Clock


@pytest.fixture
async def wire(db_dsn):
    fake = FakeOpenAI()
    server, url = fake.serve()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        openai_base_url=url,
        openai_api_key=SecretStr("sk-test"),
        salesbot_model="scripted-1",
    )
    pool = await create_pool(db_dsn)
    rt = Runtime(
        pool=pool,
        agent=build_agent(),
        model=build_model(settings),
        clock=Clock(),
        rules=rules_from(default_settings(admin_telegram_ids=(ADMIN,))),
        limits=limits_from(default_settings(admin_telegram_ids=(ADMIN,))),
    )
    yield fake, rt
    await pool.close()
    server.shutdown()


async def test_registration_over_the_wire(wire):
    fake, rt = wire
    fake.tool_call("register_rep", {"name": "Иван Иванов", "email": "ivan@truerealestate.bali"})
    fake.text("Спасибо, Иван! Заявка отправлена администратору.")
    result = await run_turn(
        rt, Inbound(501, Sender(501, "ivan"), text="Иван Иванов, ivan@truerealestate.bali")
    )

    assert [m.text for m in result.messages if m.chat_id == 501] == [
        "Спасибо, Иван! Заявка отправлена администратору."
    ]
    first, second = fake.requests
    assert first["model"] == "scripted-1"
    assert {t["function"]["name"] for t in first["tools"]} == {"register_rep", "my_status"}
    system = "\n".join(m["content"] for m in first["messages"] if m["role"] == "system")
    assert "sales assistant of True Real Estate" in system
    assert "- role: unknown" in system
    tool_result = second["messages"][-1]
    assert (tool_result["role"], tool_result["tool_call_id"]) == ("tool", "call_0")
    assert '"status":"pending"' in tool_result["content"].replace(" ", "")
    assert {k.lower(): v for k, v in fake.headers[0].items()}["authorization"] == "Bearer sk-test"
    async with rt.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=501)
        turn = await conn.fetchrow(
            "SELECT requests, input_tokens, output_tokens, outcome FROM turns"
        )
    assert rep is not None and rep.status == "pending"
    assert tuple(turn) == (2, 240, 24, "ok")


async def test_a_model_that_is_down_gets_an_apology_and_changes_nothing(wire):
    fake, rt = wire
    fake.tool_call("register_rep", {"name": "Иван Иванов", "email": "ivan@truerealestate.bali"})
    for _ in range(5):
        fake.failure(503)
    result = await run_turn(
        rt, Inbound(501, Sender(501), text="Иван Иванов, ivan@truerealestate.bali")
    )
    assert result.failed
    assert [m.text for m in result.messages] == [
        "Извините, у меня не получилось обработать сообщение: языковая модель недоступна. "
        "Ничего не изменилось, попробуйте ещё раз чуть позже."
    ]
    async with rt.pool.acquire() as conn:
        assert await get_rep_by_telegram_id(conn, telegram_id=501) is None
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE chat_id = $1", ADMIN) == 0
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 0


def test_without_a_key_the_error_says_what_to_set():
    with pytest.raises(ModelNotConfigured, match="set OPENAI_API_KEY"):
        build_model(Settings(_env_file=None))  # type: ignore[call-arg]
