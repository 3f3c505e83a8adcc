"""A local fake of the Telegram Bot API for tests and benchmarks.

`FakeTelegram` is an aiohttp server, run in the caller's event loop, that the real
python-telegram-bot client talks to over HTTP: `telegram.Bot(token, base_url=fake.base_url)`.
Every request is checked against the Bot API 10.0 spec (`telegram_spec`); violations are
answered as Telegram would (400/404) and collected in `fake.violations`. Updates are queued with
`fake.push(...)` and served by getUpdates with Telegram's offset and long-poll semantics; the
update builders (`text_update`, ...) live in `telegram_spec` and are re-exported here. Faults
(`fail`, `block`, `gate`) and a flood checker (`flood_limit`) let tests exercise error paths.
Arrival times (`Call.at`, what the flood checker counts) come from `clock`; a long poll waits
in real time, and `polling()` says when one is waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes import telegram_spec as tg
from tests.fakes.http_fake import LocalServer
from tests.fakes.telegram_spec import (
    MessageSender,
    Sender,
    callback_update,
    command_update,
    document_update,
    location_update,
    photo_update,
    reply_update,
    sticker_update,
    text_update,
    voice_update,
)

__all__ = [
    "Call",
    "FakeTelegram",
    "MessageSender",
    "Sender",
    "Upload",
    "callback_update",
    "command_update",
    "document_update",
    "location_update",
    "photo_update",
    "reply_update",
    "sticker_update",
    "text_update",
    "voice_update",
]

DEFAULT_TOKEN = "123456:TEST-token"
# Telegram's getUpdates leaves these out unless they are asked for in allowed_updates.
NOT_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass(frozen=True)
class Call:
    method: str
    fields: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class _Fault:
    method: str
    times: int
    status: int
    description: str
    retry_after: int | None
    chat_id: int | str | None


class ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def response(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.status}
        body["description"] = self.description
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.status)


_PROFILE = {
    "Commands": "commands",
    "Description": "description",
    "ShortDescription": "short_description",
}


class FakeTelegram(LocalServer):
    """`calls`: accepted requests. `failed`: requests that passed the spec check but got an
    error (injected faults, bad HTML, too long, conflicts; also a getUpdates ended by a newer
    one, as PTB's Updater does when it stops). `violations`: spec violations, wrong tokens,
    unknown methods, and pushed updates that are not valid Updates."""

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.token, self.clock = token, clock
        self.calls: list[Call] = []
        self.messages: list[dict[str, Any]] = []
        """The messages the bot sent, as Telegram answered them (for a user to reply to)."""
        self.failed: list[Call] = []
        self.violations: list[str] = []
        self.flood_violations: list[str] = []
        self.confirmed_offset: int | None = None
        self.allowed_updates: list[str] | None = None
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self._queue: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._wakeup = asyncio.Event()
        self._waiting = asyncio.Event()
        self._poll = 0
        self._closing = False
        self._faults: list[_Fault] = []
        self._blocked: set[str] = set()
        self._message_ids: dict[str, int] = {}
        self._flood: tuple[float | None, float | None, int] | None = None
        self._buckets: dict[str, tuple[float, float]] = {}
        self._recent: deque[float] = deque()
        self.files: dict[str, tuple[str, bytes]] = {}
        """Files a user sent, by file_id: their path under /file/ and their bytes."""
        self.profile: dict[tuple[str, str], Any] = {}
        """What setMyCommands / setMyDescription / setMyShortDescription stored, by (what,
        language code; "" for the default)."""

    @property
    def base_url(self) -> str:
        """For `telegram.Bot(base_url=...)`: PTB substitutes the literal `{token}`."""
        return f"{self.url}/bot{{token}}"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot{{token}}"

    def add_file(self, content: bytes, *, name: str) -> dict[str, Any]:
        """Stores a file as if a user had sent it; returns the fields every file object has
        (file_id, file_unique_id, file_size), to put in a voice, audio or document."""
        number = len(self.files) + 1
        file_id = f"file-{number}-{name}"
        self.files[file_id] = (f"documents/file_{number}_{name}", content)
        return {"file_id": file_id, "file_unique_id": f"u{number}", "file_size": len(content)}

    @property
    def me(self) -> dict[str, Any]:
        return {
            "id": int(self.token.split(":")[0]),
            "is_bot": True,
            "first_name": "Salesbot",
            "username": "salesbot_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def polling(self, *, guard: float = 30.0) -> None:
        """Waits until a long poll is waiting for updates (`guard` real seconds only turn a hang
        into a failure)."""
        async with asyncio.timeout(guard):
            await self._waiting.wait()

    async def stop(self) -> None:
        self._closing = True
        self._wake()
        await super().stop()

    # What the bot did.
    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent(self, chat_id: int | str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls_of("sendMessage")
            if chat_id is None or str(c.fields["chat_id"]) == str(chat_id)
        ]

    def drafts(self, chat_id: int | str) -> list[str]:
        """The `text` fields of the drafts shown in a chat (sendMessageDraft), as sent."""
        calls = self.calls_of("sendMessageDraft")
        return [c.fields.get("text", "") for c in calls if str(c.fields["chat_id"]) == str(chat_id)]

    def texts(self, chat_id: int | str) -> list[str]:
        """The `text` fields as sent (HTML tags included)."""
        return [c.fields["text"] for c in self.sent(chat_id)]

    # What users do.
    def push(self, update: dict[str, Any], *, update_id: int | None = None) -> int:
        """Queue an update for getUpdates (call it from the fake's event loop). The update_id is
        `update_id`, else the update's own, else the next in sequence; repeats are allowed."""
        uid = update_id if update_id is not None else update.get("update_id")
        if uid is None:
            uid = self._next_update_id
        self._next_update_id = max(self._next_update_id, uid + 1)
        update = {**update, "update_id": uid}
        self.violations += [f"push: {e}" for e in tg.validate_type("Update", update)]
        self._queue.append(update)
        self._wake()
        return uid

    async def deliver(self, url: str, update: dict[str, Any], *, secret: str | None = None) -> int:
        """POST an update to a webhook as Telegram does; returns the HTTP status."""
        if "update_id" not in update:
            update = {**update, "update_id": self._next_update_id}
            self._next_update_id += 1
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=update, headers=headers) as response,
        ):
            return response.status

    # Faults.
    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        """The next `times` matching requests get this error (429 when `retry_after` is set)."""
        if retry_after is not None:
            status, description = 429, f"Too Many Requests: retry after {retry_after}"
        self._faults.append(_Fault(method, times, status, description, retry_after, chat_id))

    def block(self, chat_id: int | str) -> None:
        self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.discard(str(chat_id))

    def flood_limit(
        self, per_chat_per_second: float | None, overall_per_second: float | None, *, burst: int = 3
    ) -> None:
        """Record (never refuse) new messages beyond Telegram's advice, in `flood_violations`.
        Per chat: a token bucket of `burst` messages refilled at `per_chat_per_second`. Overall:
        more than `overall_per_second` messages within any 1-second window. None turns one off."""
        self._flood = (per_chat_per_second, overall_per_second, burst)
        self._buckets.clear()
        self._recent.clear()

    # The server.
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = self.clock()
        await self.gate.passage()
        if request.path.startswith("/file/"):
            return self._download(request.path)
        found = re.fullmatch(r"/bot([^/]*)/([^/]+)", request.path)
        if found is None:
            return ApiError(404, "Not Found").response()
        token, name = found.groups()
        if token != self.token:
            self.violations.append(f"{name}: wrong token")
            return ApiError(401, "Unauthorized").response()
        method = tg.method_name(name)
        if method is None:
            self.violations.append(f"{name}: no such method")
            return ApiError(404, "Not Found: method not found").response()
        try:
            fields = await self._read_fields(request, method)
        except ValueError as exc:
            self.violations.append(f"{method}: {exc}")
            return ApiError(400, f"Bad Request: {exc}").response()
        # A file sent as "attach://<name>" arrives as a part named <name>, not a spec field.
        checked = {
            k: v
            for k, v in fields.items()
            if not isinstance(v, Upload) or tg.field_types(method, k)
        }
        if errors := tg.validate_method(method, checked):
            self.violations += [f"{method}: {e}" for e in errors]
            return ApiError(400, "Bad Request: " + "; ".join(errors)).response()
        call = Call(method, fields, arrived)
        try:
            self._inject_faults(call)
            result = await self._answer(call)
        except ApiError as error:
            self.failed.append(call)
            return error.response()
        self.calls.append(call)
        return web.json_response({"ok": True, "result": result})

    def _download(self, path: str) -> web.StreamResponse:
        """Telegram serves a file at /file/bot<token>/<file_path> for an hour after getFile."""
        found = re.fullmatch(r"/file/bot([^/]*)/(.+)", path)
        if found is None or found.group(1) != self.token:
            return web.Response(status=404, text="Not Found")
        for file_path, content in self.files.values():
            if file_path == found.group(2):
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    async def _read_fields(self, request: web.Request, method: str) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the JSON body must be an object")
            return {k: tg.decode_form_value(method, k, v) for k, v in raw.items()} | body
        if request.body_exists:
            raw |= await request.post()
        fields: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):
                fields[key] = Upload(value.filename, value.content_type, value.file.read())
            else:
                fields[key] = tg.decode_form_value(method, key, value)
        return fields

    def _inject_faults(self, call: Call) -> None:
        chat = call.fields.get("chat_id")
        for fault in self._faults:
            if fault.method.lower() == call.method.lower() and (
                fault.chat_id is None or str(fault.chat_id) == str(chat)
            ):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                extra = {} if fault.retry_after is None else {"retry_after": fault.retry_after}
                raise ApiError(fault.status, fault.description, **extra)
        if chat is not None and str(chat) in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    async def _answer(self, call: Call) -> Any:
        fields, method = call.fields, call.method
        match method:
            case "getMe":
                return self.me
            case "getUpdates":
                return await self._get_updates(fields)
            case "setWebhook" | "deleteWebhook":
                self.webhook_url = fields.get("url") or None
                self.webhook_secret = fields.get("secret_token") if self.webhook_url else None
                if fields.get("drop_pending_updates"):
                    self._queue.clear()
                return True
            case "setMyCommands" | "setMyDescription" | "setMyShortDescription":
                what = method.removeprefix("setMy")
                value = fields.get(_PROFILE[what], [] if what == "Commands" else "")
                self.profile[(what, fields.get("language_code") or "")] = value
                return True
            case "getMyCommands" | "getMyDescription" | "getMyShortDescription":
                what = method.removeprefix("getMy")
                value = self.profile.get(
                    (what, fields.get("language_code") or ""), [] if what == "Commands" else ""
                )
                return value if what == "Commands" else {_PROFILE[what]: value}
            case "getFile":
                if (stored := self.files.get(fields.get("file_id", ""))) is None:
                    raise ApiError(400, "Bad Request: invalid file_id")
                number = list(self.files).index(fields["file_id"]) + 1
                return {
                    "file_id": fields["file_id"],
                    "file_unique_id": f"u{number}",
                    "file_size": len(stored[1]),
                    "file_path": stored[0],
                }
            case "getWebhookInfo":
                info = {"url": self.webhook_url or "", "has_custom_certificate": False}
                return info | {"pending_update_count": len(self._queue)}
        if method == "sendMessageDraft":
            return self._draft(fields)
        text = None
        if method in ("sendMessage", "editMessageText"):
            try:
                text = tg.message_text(fields["text"], fields.get("parse_mode"))
            except tg.TextError as exc:
                raise ApiError(400, f"Bad Request: {exc}") from None
        if "Message" not in tg.spec()["methods"][method]["returns"] or "chat_id" not in fields:
            return True
        chat_id, now = fields["chat_id"], int(time.time())
        if method.startswith("edit"):
            if "message_id" not in fields:
                raise ApiError(400, "Bad Request: message identifier is not specified")
            message = {"message_id": fields["message_id"], "date": now, "edit_date": now}
        else:
            self._check_flood(chat_id, call.at)
            number = self._message_ids.get(str(chat_id), 0) + 1
            message = {"message_id": number, "date": now}
            self._message_ids[str(chat_id)] = number
        message |= {"chat": tg.chat_object(chat_id), "from": self.me}
        if text is not None:
            message["text"] = text
        elif isinstance(fields.get("caption"), str):
            message["caption"] = fields["caption"]
        if isinstance(markup := fields.get("reply_markup"), dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if not method.startswith("edit"):
            self.messages.append(message)
        return message

    def _draft(self, fields: dict[str, Any]) -> bool:
        """A draft goes to a private chat only, and its text may be empty ("Thinking...")."""
        if int(fields["chat_id"]) < 0:
            raise ApiError(400, "Bad Request: drafts can be sent only to private chats")
        if fields["draft_id"] == 0:
            raise ApiError(400, "Bad Request: draft_id must be non-zero")
        if text := fields.get("text"):
            try:
                tg.message_text(text, fields.get("parse_mode"))
            except tg.TextError as exc:
                raise ApiError(400, f"Bad Request: {exc}") from None
        return True

    async def _get_updates(self, fields: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self._poll += 1
        poll = self._poll
        self._waiting.clear()
        self._wake()  # an earlier long poll now ends with a conflict
        if "allowed_updates" in fields:
            self.allowed_updates = fields["allowed_updates"] or None
        offset = fields.get("offset")
        if offset is not None:
            self.confirmed_offset = offset
            if offset < 0:
                self._queue = self._queue[offset:]
            else:
                self._queue = [u for u in self._queue if u["update_id"] >= offset]
        limit = min(max(fields.get("limit", 100), 1), 100)
        deadline = time.monotonic() + fields.get("timeout", 0)
        while True:
            self._queue = [u for u in self._queue if self._allowed(u)]
            remaining = deadline - time.monotonic()
            if self._queue or remaining <= 0 or self._closing:
                return self._queue[:limit]
            wakeup = self._wakeup
            self._waiting.set()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), remaining)
            finally:
                if self._poll == poll:
                    self._waiting.clear()
            if self._poll != poll:
                raise ApiError(409, POLL_CONFLICT)

    def _allowed(self, update: dict[str, Any]) -> bool:
        kinds = set(update) - {"update_id"}
        if self.allowed_updates is None:
            return not kinds & NOT_BY_DEFAULT
        return bool(kinds & set(self.allowed_updates)) or not kinds

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _check_flood(self, chat_id: int | str, at: float) -> None:
        if self._flood is None:
            return
        per_chat, overall, burst = self._flood
        if per_chat is not None:
            tokens, last = self._buckets.get(str(chat_id), (float(burst), at))
            tokens = min(float(burst), tokens + (at - last) * per_chat)
            if tokens < 1:
                self.flood_violations.append(
                    f"chat {chat_id}: over {per_chat}/s after a burst of {burst}"
                )
            else:
                tokens -= 1
            self._buckets[str(chat_id)] = (tokens, at)
        if overall is not None:
            while self._recent and at - self._recent[0] >= 1.0:
                self._recent.popleft()
            self._recent.append(at)
            if len(self._recent) > overall:
                self.flood_violations.append(
                    f"{len(self._recent)} messages within 1 s, over {overall}/s"
                )
