"""One run of a case on its own database: the setup rows, then each turn delivered the way
Telegram or the scheduler delivers it (an inbox item, served by the turn workers), the frozen
clock moved only where the case says; what everyone received and the state left behind."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from pydantic_ai import Agent, DeferredToolRequests
from pydantic_ai.models import Model

from agent import scheduler
from agent.runtime import Runtime, inbox_kinds, limits_from, plan_from, rules_from
from agent.settings import Settings, default_settings
from agent.telegram.updates import to_inbox
from agent.workers import TurnWorkers
from db import inbox
from db.pool import create_pool
from db.queries import Queries
from evals import crm, google, updates
from evals.cases import Case, Person, Turn
from evals.players import Player
from evals.voices import Voices, voices
from evals.world import State, add_setup, state
from tools.deps import Deps
from tools.services import Services

_q = Queries("world", package="evals")
_LEASE = timedelta(minutes=5)


class BrokenCase(Exception):
    """Gold calls that a turn never reached, or whose arguments do not fit the tool: the case
    is wrong, not the agent."""


@dataclass
class FrozenClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Message:
    chat_id: int
    text: str
    buttons: list[list[dict[str, str]]] | None
    id: int = 0
    """Its outbox id, which stands for Telegram's message id in a reply to it."""

    def button(self, name: str) -> str | None:
        """The callback data of the button `name` (confirm, approve…), if this message has it."""
        for row in self.buttons or []:
            for b in row:
                data = b.get("data", "")
                if data == name or data.startswith(f"{name}:"):
                    return data
        return None


@dataclass
class Step:
    """A turn as the transcript shows it: what came in, the tool calls, what went out."""

    turn: Turn
    shown: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Run:
    case: Case
    steps: list[Step] = field(default_factory=list)
    state: State = field(default_factory=State)
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    failed_turns: list[str] = field(default_factory=list)
    """How each turn that failed (and so undid itself) ended: `failed: TimeoutError`."""
    error: str | None = None

    @property
    def messages(self) -> list[Message]:
        return [m for s in self.steps for m in s.messages]

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


async def replay(
    case: Case,
    dsn: str,
    agent: Agent[Deps, str | DeferredToolRequests],
    model: Model | None,
    *,
    player: Player | None = None,
) -> Run:
    """Runs `case` with `model`, or with its gold calls (`model=None`) played by `player`."""
    if model is None:
        player = player or Player()
    run = Run(case)
    pool = await create_pool(dsn, min_size=1, max_size=3)
    try:
        clock = FrozenClock(case.clock)
        async with crm.hubspot(case.hubspot, clock) as world, google.google(case.google) as cal:
            services = google.wired(Services(journal=pool, files=updates.CaseFiles(case)), cal)
            if world is not None:
                services = replace(services, hubspot=world.client, crm=world.client)
            rt = Runtime(
                pool=pool,
                agent=agent,
                model=model or player.model(),  # type: ignore[union-attr]
                rules=rules_from(_settings(case)),
                limits=limits_from(_settings(case)),
                clock=clock,
                services=services,
            )
            async with pool.acquire() as conn:
                await add_setup(conn, case.setup, clock(), timezone=rt.rules.default_timezone)
                await google.connect(conn, cal, clock())
            async with voices(case, _settings(case)) as heard:
                worlds = [w for w in (world, cal) if w is not None]
                await _play(run, _Delivery(rt, clock, case, heard), clock, player, worlds)
        await _totals(run, pool)
        run.state = await state(pool)
    except Exception as e:  # a broken case or stack: the run fails with the reason
        run.error = f"{type(e).__name__}: {e}"
    finally:
        await pool.close()
    return run


async def _play(
    run: Run,
    delivery: _Delivery,
    clock: FrozenClock,
    player: Player | None,
    worlds: Sequence[crm.HubSpot | google.Google] = (),
) -> None:
    for n, turn in enumerate(run.case.turns, 1):
        clock.now += turn.delta
        for world in worlds:
            world.before(n)
        if player is not None:
            player.start(turn)
        run.steps.append(await delivery.turn(turn, run.messages))
        if player is None or not player.strict:
            continue
        if player.rejected:
            raise BrokenCase(f"turn {n}: gold call arguments refused: {player.rejected[0]}")
        if player.steps:
            unplayed = ", ".join(name for step in player.steps for name, _ in step)
            raise BrokenCase(f"turn {n} ended before its gold calls {unplayed}")


def _settings(case: Case) -> Settings:
    """A fresh machine's settings, whatever this one's say (but the case's own): a case runs
    the same anywhere."""
    hubspot = {"hubspot_access_token": crm.TOKEN} if case.hubspot else {}
    worlds = hubspot | google.settings(case.google)
    return default_settings(admin_telegram_ids=tuple(case.setup.admins), **(worlds | case.settings))


class _Delivery:
    def __init__(
        self, rt: Runtime, clock: FrozenClock, case: Case, voices: Voices | None = None
    ) -> None:
        self.rt = rt
        self.clock = clock
        self.voices = voices
        kinds = {**inbox_kinds(), **(voices.kinds if voices else {})}
        self.workers = TurnWorkers(rt, kinds=kinds, concurrency=1, wall=clock)
        self.plan = plan_from(_settings(case))
        self.people = updates.people(case)
        self.update_id = 0
        self.shown: list[int] = []
        self.last_turn = 0

    async def turn(self, turn: Turn, so_far: list[Message]) -> Step:
        step = Step(turn, self._shown(turn))
        started = time.perf_counter()
        if not await self._deliver(turn, step, so_far):
            return step
        await self._serve()
        step.seconds = time.perf_counter() - started
        await self._collect(step)
        return step

    async def _deliver(self, turn: Turn, step: Step, so_far: list[Message]) -> bool:
        now = self.clock()
        if turn.tick:
            queued = await scheduler.tick(self.rt.pool, self.plan, now)
            step.shown += f" → {', '.join(f'{k} {v}' for k, v in (queued or {}).items() if v)}"
            return True
        if turn.event is not None:
            payload = {"event": turn.event, "data": turn.data}
            await _q.execute(self.rt.pool, "add_event", chat_id=turn.to, payload=payload, now=now)
            return True
        person = self.people[turn.chat_id or 0]
        self.update_id += 1
        if turn.press is not None:
            mine = (m.button(turn.press) for m in reversed(so_far) if m.chat_id == person.id)
            data = next((d for d in mine if d), None)
            if data is None:
                step.shown += f" (no «{turn.press}» button in this chat: nothing pressed)"
                return False
            update = updates.press(self.update_id, person, data)
        elif turn.file is not None:
            update = updates.document(self.update_id, person, turn.file, now)
        elif turn.voice is not None and self.voices is not None:
            update = updates.message(self.update_id, person, "", now)
            del update["message"]["text"]
            update["message"]["voice"] = self.voices.note(turn.voice)
        else:
            update = updates.message(self.update_id, person, turn.say or "", now)
            if turn.replying is not None:
                update["message"]["reply_to_message"] = _replied(so_far, person, turn.replying)
        kept = to_inbox(update)
        assert kept is not None
        await inbox.add_updates(self.rt.pool, updates=[kept], now=now)
        return True

    async def _serve(self) -> None:
        while True:
            now = self.clock()
            items = await self.workers.claim(10, now, now + _LEASE)
            if not items:
                return
            for item in items:
                await self.workers.handle(item)

    async def _collect(self, step: Step) -> None:
        pool = self.rt.pool
        rows = await _q.fetch(pool, "messages", shown=self.shown, now=self.clock())
        step.messages = [Message(r["chat_id"], r["text"], r["buttons"], r["id"]) for r in rows]
        self.shown += [r["id"] for r in rows]
        await _q.execute(pool, "delivered", ids=[r["id"] for r in rows])
        turns = await _q.fetch(pool, "turns_after", after=self.last_turn)
        ids = [t["id"] for t in turns]
        self.last_turn = max([self.last_turn, *ids])
        calls = await _q.fetch(pool, "calls_of_turns", turn_ids=ids)
        step.calls = [dict(c) for c in calls]

    def _shown(self, turn: Turn) -> str:
        if turn.tick:
            return f"⏰ scheduler tick at {self.clock().isoformat()}"
        if turn.event is not None:
            return f"⏰ event {turn.event} → {turn.to}"
        who = self.people[turn.chat_id or 0]
        name = f"@{who.username}" if who.username else str(who.id)
        if turn.file is not None:
            return f"{name}: 📎 {turn.file.name}"
        if turn.voice is not None:
            return f"{name}: 🎙 ({turn.voice.seconds} s) {turn.voice.say}"
        replying = f" (↩ «{turn.replying}»)" if turn.replying is not None else ""
        return f"{name}: [{turn.press}]" if turn.press else f"{name}{replying}: {turn.say}"


def _replied(so_far: list[Message], person: Person, text: str) -> dict[str, Any]:
    got = [m for m in so_far if m.chat_id == person.id and text in m.text]
    if not got:
        raise BrokenCase(f"no message to {person.id} with «{text}» to reply to")
    return {"message_id": got[-1].id, "text": got[-1].text}


async def _totals(run: Run, pool: asyncpg.Pool) -> None:
    for t in await _q.fetch(pool, "turns_after", after=0):
        run.requests += t["requests"]
        run.input_tokens += t["input_tokens"]
        run.output_tokens += t["output_tokens"]
        if (t["outcome"] or "").startswith("failed"):
            run.failed_turns.append(t["outcome"])
