"""Turn workers: take inbox items, oldest first per chat, many chats at once, and carry out
what each kind's interpreter makes of it: a turn, a fixed reply, work for code, or nothing. A
reply reaches the outbox in the same transaction that finishes the item, so an item is
answered once whatever crashes. The workers know no channel; the team's background chat is
no person's, so nothing there is shown as typed or told to anyone."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

from agent import logs
from agent.channel import Action, Inbound, Kinds, Reply, Unreadable, Work, set_aside
from agent.dispatch import ClaimLoop
from agent.drafts import Drafts, DraftSink, Pace
from agent.runtime import Runtime
from agent.turn import ClaimLost, run_turn
from db import inbox, outbox
from db.chats import TEAM_CHAT, chat_language
from db.inbox import Claim
from db.pool import database_away
from tools.redaction import scrub

log = logging.getLogger(__name__)

Typing = Callable[[int], Awaitable[None]]

MAX_ATTEMPTS = 5
"""Claims of one item before it is set aside: each one crashed its worker or failed to commit.
A message that kills the process every time must not kill it forever."""


class TurnWorkers(ClaimLoop[Claim]):
    def __init__(
        self,
        rt: Runtime,
        *,
        kinds: Kinds,
        concurrency: int = 100,
        lease: timedelta = timedelta(seconds=30),
        wall: Callable[[], datetime],
        typing: Typing | None = None,
        typing_delay: float = 0.5,
        drafts: DraftSink | None = None,
        pace: Pace | None = None,
        poll: float = 1.0,
    ) -> None:
        """`drafts`, with a `pace`: where a turn's reply is shown as it is written."""
        super().__init__(role="turns", concurrency=concurrency, lease=lease, wall=wall, poll=poll)
        self.rt = rt
        self.kinds = kinds
        self.typing = typing
        self.typing_delay = typing_delay
        self.drafts = drafts
        self.pace = pace

    async def claim(self, limit: int, now: datetime, until: datetime) -> list[Claim]:
        return await inbox.claim(
            self.rt.pool, worker=self.worker, limit=limit, now=now, until=until
        )

    async def extend(self, items: list[Claim], until: datetime) -> None:
        await inbox.extend(self.rt.pool, held=items, until=until)

    async def give_back(self, item: Claim) -> None:
        await inbox.release(self.rt.pool, claim=item, not_before=self.wall())

    async def handle(self, item: Claim) -> None:
        with logs.bound(chat=item.chat_id, item=item.id):
            await self._handle(item)

    async def _handle(self, item: Claim) -> None:
        try:
            if item.attempt > MAX_ATTEMPTS:
                await self._set_aside(item)
            else:
                await self._serve(item)
        except ClaimLost as e:
            log.warning("%s", e)
        except Exception as e:
            log.exception("inbox item %s failed (attempt %s)", item.id, item.attempt)
            away = database_away(e)
            retry_at = self.wall() + timedelta(seconds=0 if away else 2**item.attempt)
            await self._retry_later(item, retry_at, scrub(repr(e)), counts=not away)

    async def _retry_later(self, item: Claim, at: datetime, error: str, *, counts: bool) -> None:
        """Gives the item back to be tried again from `at`; the chat's later items wait for it.
        While the database is away this keeps trying, for as long as the lease would hold the
        item anyway, so that the item is tried again as soon as the database is back; an outage
        is not the item's fault, so it does not count towards setting the item aside."""
        give_up = self.wall() + self.lease
        pause = 0.05
        while True:
            try:
                await inbox.release(
                    self.rt.pool, claim=item, not_before=at, error=error, counts=counts
                )
                return
            except Exception as e:
                if not database_away(e) or self.wall() + timedelta(seconds=pause) > give_up:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    async def _serve(self, item: Claim) -> None:
        try:
            action = self._interpret(item)
        except Unreadable as e:
            log.warning("inbox item %s set aside: %s", item.id, e)
            await self._answer(item, None, failed=True, error=scrub(str(e)))
            return
        if isinstance(action, Inbound):
            async with self._typing(item.chat_id):
                inbound = dataclasses.replace(action, claim=item)
                await run_turn(self.rt, inbound, self._drafts(item))
        elif isinstance(action, Work):
            await action.run(self.rt, item)
        elif action is None:
            await self._answer(item, None)
        else:
            await self._answer(item, action, failed=action.error is not None, error=action.error)

    def _drafts(self, item: Claim) -> Drafts | None:
        """The item's drafts, by its id: a turn tried again goes on with the same draft."""
        sink, pace = self.drafts, self.pace
        if sink is None or pace is None:
            return None
        return Drafts(lambda text: sink(item.chat_id, item.id, text), pace)

    def _interpret(self, item: Claim) -> Action:
        interpreter = self.kinds.get(item.kind)
        if interpreter is None:
            raise Unreadable(f"no interpreter for inbox items of kind {item.kind!r}")
        return interpreter(item)

    async def _answer(
        self,
        item: Claim,
        reply: Reply | None,
        *,
        failed: bool = False,
        error: str | None = None,
    ) -> None:
        now = self.rt.clock()
        async with self.rt.pool.acquire() as conn, conn.transaction():
            if reply is not None:
                text = reply.text(await chat_language(conn, chat_id=reply.chat_id))
                await outbox.enqueue(
                    conn, chat_id=reply.chat_id, text=text, dedupe_key=reply.dedupe_key, now=now
                )
            if not await inbox.finish(conn, claim=item, now=now, failed=failed, error=error):
                raise ClaimLost(item)

    async def _set_aside(self, item: Claim) -> None:
        error = f"set aside after {item.attempt - 1} failed attempts"
        told = None if item.chat_id == TEAM_CHAT else set_aside(item.chat_id, item.id)
        await self._answer(item, told, failed=True, error=error)

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int) -> AsyncIterator[None]:
        if self.typing is None or chat_id == TEAM_CHAT:
            yield
            return
        task = asyncio.create_task(self._keep_typing(chat_id))
        try:
            yield
        finally:
            task.cancel()

    async def _keep_typing(self, chat_id: int) -> None:
        assert self.typing is not None
        await asyncio.sleep(self.typing_delay)
        while True:
            with contextlib.suppress(Exception):
                await self.typing(chat_id)
            await asyncio.sleep(4.5)  # Telegram shows "typing…" for 5 s
