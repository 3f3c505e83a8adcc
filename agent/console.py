"""`salesbot chat`: the same turn as Telegram, in a terminal, as any Telegram id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from rich.console import Console
from rich.markup import escape

from agent.channel import Inbound, Sender
from agent.runtime import Runtime
from agent.turn import run_turn
from db import outbox

HELP = (
    "Type a message as the current user. Commands: /as ID (speak as another Telegram id), "
    "/press BUTTON (press a button of the last message with buttons: confirm, cancel, approve, "
    "reject, or its text), /help, /quit."
)


async def lines_from_terminal(prompt: Callable[[], str]) -> AsyncIterator[str]:
    while True:
        try:
            yield await asyncio.to_thread(input, prompt())
        except EOFError:
            return


async def converse(rt: Runtime, lines: AsyncIterator[str], out: Console, *, as_id: int) -> None:
    current = {"id": as_id}
    out.print(f"[dim]{HELP}[/dim]\n[bold]You are Telegram id {as_id}.[/bold]")
    async for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line == "/help":
            out.print(HELP)
            continue
        if line.startswith("/as"):
            _switch(line, current, out)
            continue
        inbound = await _inbound(rt, line, current["id"], out)
        if inbound is not None:
            await _turn(rt, inbound, out)


def _switch(line: str, current: dict[str, int], out: Console) -> None:
    value = line.removeprefix("/as").strip()
    if not value.lstrip("-").isdigit():
        out.print("[red]Usage: /as TELEGRAM_ID[/red]")
        return
    current["id"] = int(value)
    out.print(f"[bold]You are Telegram id {value}.[/bold]")


async def _inbound(rt: Runtime, line: str, chat_id: int, out: Console) -> Inbound | None:
    sender = Sender(chat_id, username=f"user{chat_id}", first_name=None)
    if not line.startswith("/press"):
        return Inbound(chat_id, sender, text=line)
    wanted = line.removeprefix("/press").strip().lower()
    async with rt.pool.acquire() as conn:
        message = await outbox.latest_with_buttons(conn, chat_id=chat_id)
    rows = message.buttons if message and message.buttons else []
    buttons = [b for row in rows for b in row if "data" in b]
    for button in buttons:
        if wanted in (button["data"].lower(), button["data"].split(":")[0]) or (
            wanted and wanted in button["text"].lower()
        ):
            return Inbound(chat_id, sender, press=button["data"])
    shown = ", ".join(b["data"].split(":")[0] for b in buttons) or "none"
    out.print(f"[red]No button {wanted!r} here (buttons: {shown}).[/red]")
    return None


async def _turn(rt: Runtime, inbound: Inbound, out: Console) -> None:
    with out.status("thinking…"):
        result = await run_turn(rt, inbound)
    for message in result.messages:
        who = "bot" if message.chat_id == inbound.chat_id else f"bot → chat {message.chat_id}"
        picture = f"[a picture, {len(message.photo):,} bytes of PNG] " if message.photo else ""
        out.print(f"[bold green]{who}:[/bold green] {escape(picture + message.text)}")
        for row in message.buttons or []:
            out.print(f"    {'  '.join(_label(b) for b in row)}")
    async with rt.pool.acquire() as conn:
        await outbox.mark_sent(conn, ids=[m.id for m in result.messages], now=rt.clock())


def _label(button: dict[str, str]) -> str:
    if "url" in button:
        return f"[{escape(button['text'])}] {escape(button['url'])}"
    return f"[{escape(button['text'])}] (/press {button['data'].split(':')[0]})"
