"""The runner with a model instead of the gold calls: a model that only talks fails every case
whose gold calls change the state, and a real `openai` client over HTTP passes a case when it
makes the gold calls."""

from __future__ import annotations

import asyncio
import re

import pytest
from inline_snapshot import snapshot
from pydantic import SecretStr
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.model import build_model
from agent.settings import Settings
from evals import cases
from evals.players import idle_model
from evals.runner import Outcome, run_suite
from evals.scoring import judge
from tests.agent.fake_openai import FakeOpenAI
from tests.agent.telegram.harness import last_prompt

CASES = cases.load()


@pytest.fixture(scope="module")
def idle(postgres_dsn: str) -> dict[str, Outcome]:
    outcomes = asyncio.run(run_suite(CASES, postgres_dsn, model=idle_model(), concurrency=4))
    return {o.case.name: o for o in outcomes}


@pytest.fixture(scope="module")
def untouched(postgres_dsn: str) -> dict[str, Outcome]:
    """Each case with no turns at all: the state its setup leaves."""
    still = [c.model_copy(update={"turns": []}) for c in CASES]
    outcomes = asyncio.run(run_suite(still, postgres_dsn, concurrency=4))
    return {o.case.name: o for o in outcomes}


def test_a_model_that_never_acts_fails_every_case_that_changes_state(gold, idle, untouched):
    by_name = {c.name: c for c in CASES}
    changing = [
        name
        for name, outcome in gold.items()
        if any(turn.calls for turn in by_name[name].turns)
        and outcome.trials[0].run.state.compared() != untouched[name].trials[0].run.state.compared()
    ]
    # Many cases only ask (what is on my calendar, a refusal), and some leave the work to the
    # scheduler and the calendar sync alone; still, a good share must act.
    assert len(changing) >= len(CASES) // 3
    passed = [name for name in changing if idle[name].trials[0].passed]
    assert passed == []
    for name in changing:
        assert idle[name].gold is not None and idle[name].gold.error is None


async def over_the_wire(postgres_dsn: str, fake: FakeOpenAI) -> Outcome:
    """registration-happy-en played by the real `openai` client against `fake`."""
    case = next(c for c in CASES if c.name == "registration-happy-en")
    server, url = fake.serve()
    try:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, openai_base_url=url, openai_api_key=SecretStr("sk-test")
        )
        (outcome,) = await run_suite([case], postgres_dsn, model=build_model(settings))
    finally:
        server.shutdown()
    return outcome


async def test_a_case_through_the_openai_client_over_http(postgres_dsn):
    fake = FakeOpenAI()
    fake.text("Hi! Would you like to register? What is your full name?")
    fake.text("Thanks, John! What is your corporate email?")
    fake.tool_call("register_rep", {"name": "John Smith", "email": "john@truerealestate.bali"})
    fake.text("Your application is with the admins.")
    fake.tool_call("approve_rep", {"rep": "john@truerealestate.bali"})
    fake.text("John Smith is approved and has been told.")
    (trial,) = (await over_the_wire(postgres_dsn, fake)).trials
    assert trial.failure is None, trial.failure
    assert (trial.run.requests, trial.run.input_tokens, trial.run.output_tokens) == (6, 720, 72)
    assert [m["role"] for m in fake.requests[0]["messages"]] == ["system", "system", "user"]
    assert fake.requests[0]["messages"][-1]["content"] == "hello"
    assert not fake.replies


async def test_a_model_that_books_the_wrong_state_fails_against_the_gold_state(postgres_dsn):
    fake = FakeOpenAI()
    fake.text("Hi! What is your full name?")
    fake.text("Thanks! Your email?")
    fake.tool_call("register_rep", {"name": "John Smith", "email": "john@truerealestate.bali"})
    fake.text("Sent to the admins.")
    fake.tool_call("reject_rep", {"rep": "john@truerealestate.bali"})
    fake.text("Rejected.")
    outcome = await over_the_wire(postgres_dsn, fake)
    assert outcome.trials[0].failure == "reps 502: status is 'pending', the gold state has 'active'"


def test_the_gold_calls_leave_the_same_state_on_every_run(gold, postgres_dsn):
    """What a model is compared with must not depend on the run (random ids, real time)."""
    again = asyncio.run(run_suite(CASES, postgres_dsn, concurrency=4))
    differences = {
        o.case.name: judge(o.trials[0].run, gold[o.case.name].trials[0].run.state) for o in again
    }
    assert {name: d for name, d in differences.items() if d} == {}


def _follows_the_reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Knows which prospect "him" is only from what the reply says it answers."""
    if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
        return ModelResponse(parts=[TextPart("Noted: James Carter is contacted.")])
    prompt = last_prompt(messages)
    about = re.search(r"prospect «[^»]*» \(id (\w+)\)", prompt)
    if "wrote to him" not in prompt:
        return ModelResponse(parts=[TextPart(f"A reminder: {prompt}")])
    if about is None:
        return ModelResponse(parts=[TextPart("Who do you mean?")])
    call = {"prospect": about[1], "status": "contacted"}
    return ModelResponse(parts=[ToolCallPart("update_prospect_status", call)])


async def test_a_reply_to_a_reminder_tells_the_model_its_prospect(postgres_dsn):
    """The replies case passes for a model that can only tell "him" from what the reply is
    about, and the same dialogue without the reply fails for it."""
    case = next(c for c in CASES if c.name == "replies-under-a-reminder-en")
    plain = [t.model_copy(update={"replying": None}) for t in case.turns]
    unreplied = case.model_copy(update={"name": "unreplied", "turns": plain})
    model = FunctionModel(_follows_the_reply)
    replied, asked = await run_suite([case, unreplied], postgres_dsn, model=model)
    assert replied.trials[0].failure is None
    assert asked.trials[0].failure == snapshot(
        "prospects James Carter: status is 'unreached', the gold state has 'contacted'"
    )
