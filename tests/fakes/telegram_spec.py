"""The Telegram Bot API 10.0 as data, for the fake server in `tests.fakes.telegram`.

The rules come from `telegram-bot-api-10.0.json` (github.com/PaulSonOfLars/telegram-bot-api-spec,
MIT, see LICENSE.telegram-bot-api-spec.txt): the methods and types, each field with Telegram's
own type words ("Integer", "Array of X", a type name, ...). Also here: how form values are
decoded, how an HTML `parse_mode` text is checked and measured, and builders of valid updates
(`text_update`, `callback_update`, ...).
"""

from __future__ import annotations

import functools
import itertools
import json
import time
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypedDict, Unpack

SPEC_FILE = Path(__file__).with_name("telegram-bot-api-10.0.json")
ARRAY = "Array of "


@functools.cache
def spec() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    return result


@functools.cache
def _method_names() -> dict[str, str]:
    # Telegram matches method names case-insensitively.
    return {name.lower(): name for name in spec()["methods"]}


def method_name(name: str) -> str | None:
    """The spec's spelling of a method, or None when Telegram has no such method."""
    return _method_names().get(name.lower())


def _fields(owner: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in owner.get("fields", [])}


def field_types(method: str, field: str) -> list[str] | None:
    found = _fields(spec()["methods"][method]).get(field)
    return None if found is None else list(found["types"])


def decode_form_value(method: str, field: str, raw: str) -> Any:
    """PTB JSON-encodes every non-string value it sends as a form field; a String stays as is."""
    if field_types(method, field) == ["String"]:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def validate_method(method: str, fields: Mapping[str, Any]) -> list[str]:
    return _check_fields(_fields(spec()["methods"][method]), fields, "")


def validate_type(name: str, value: Any, path: str = "") -> list[str]:
    """Errors of `value` as an instance of the spec type `name` (empty when it is valid)."""
    kind = spec()["types"][name]
    if not isinstance(value, dict):
        return [f"{_at(path)}expected {name} (an object), got {_describe(value)}"]
    if subtypes := kind.get("subtypes"):
        attempts = [validate_type(sub, value, path) for sub in subtypes]
        if any(not errors for errors in attempts):
            return []
        return min(attempts, key=len)
    errors = _check_fields(_fields(kind), value, path)
    if name == "Update" and len(payloads := sorted(set(value) - {"update_id"})) > 1:
        errors.append(f"{_at(path)}an Update carries at most one payload, got {payloads}")
    return errors


def check_value(value: Any, types: Sequence[str], path: str) -> list[str]:
    """Errors of a value that may be any of `types` (e.g. ["Integer", "String"])."""
    attempts = [_check_one(value, kind, path) for kind in types]
    if any(not errors for errors in attempts):
        return []
    if len(types) > 1:
        # Only an object or array candidate can say more than "wrong type": the closest one.
        deeper = [e for kind, e in zip(types, attempts, strict=True) if _same_shape(kind, value)]
        if deeper:
            return min(deeper, key=len)
        return [f"{_at(path)}expected {' or '.join(types)}, got {_describe(value)}"]
    return attempts[0]


def _check_fields(
    known: dict[str, dict[str, Any]], value: Mapping[str, Any], path: str
) -> list[str]:
    errors = [f'unknown field "{_join(path, name)}"' for name in value if name not in known]
    for name, field in known.items():
        if name in value:
            errors += check_value(value[name], field["types"], _join(path, name))
        elif field["required"]:
            errors.append(f'missing required field "{_join(path, name)}"')
    return errors


def _check_one(value: Any, kind: str, path: str) -> list[str]:
    if kind.startswith(ARRAY):
        if not isinstance(value, list):
            return [f"{_at(path)}expected {kind}, got {_describe(value)}"]
        inner = kind.removeprefix(ARRAY)
        return [
            e for i, item in enumerate(value) for e in check_value(item, [inner], f"{path}[{i}]")
        ]
    ok = {
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "String": isinstance(value, str),
        "Boolean": isinstance(value, bool),
        "InputFile": True,
    }.get(kind)
    if ok is None:
        return validate_type(kind, value, path)
    return [] if ok else [f"{_at(path)}expected {kind}, got {_describe(value)}"]


def _same_shape(kind: str, value: Any) -> bool:
    if kind.startswith(ARRAY):
        return isinstance(value, list)
    return kind in spec()["types"] and kind != "InputFile" and isinstance(value, dict)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _at(path: str) -> str:
    return f'field "{path}": ' if path else ""


def _describe(value: Any) -> str:
    shown = json.dumps(value, default=repr)
    return f"{type(value).__name__} {shown[:40]}"


def utf16_len(text: str) -> int:
    """Telegram counts text lengths and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class TextError(ValueError):
    """Why Telegram would refuse a message text: its description after "Bad Request: "."""


class EntityError(TextError):
    """Why Telegram would answer "Bad Request: can't parse entities: ..."."""


TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
TAGS |= {"code", "pre", "blockquote", "tg-emoji"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.visible: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag not in TAGS:
            raise EntityError(f'unsupported start tag "{tag}"')
        if tag == "a" and not given.get("href"):
            raise EntityError('tag "a" must have an "href" attribute')
        if tag == "span" and given.get("class") != "tg-spoiler":
            raise EntityError('tag "span" must have class "tg-spoiler"')
        if tag == "tg-emoji" and not given.get("emoji-id"):
            raise EntityError('tag "tg-emoji" must have an "emoji-id" attribute')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            raise EntityError(f'unexpected end tag "{tag}"')
        if self.open[-1] != tag:
            raise EntityError(f'unmatched end tag "{tag}", expected "</{self.open[-1]}>"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for char in "<&":
            if char in data:
                raise EntityError(f'"{char}" must be escaped as an HTML entity')
        self.visible.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            raise EntityError(f'unsupported HTML entity "&{name};"')
        self.visible.append(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        try:
            self.visible.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))
        except (ValueError, OverflowError):
            raise EntityError(f'bad character reference "&#{name};"') from None

    def handle_comment(self, data: str) -> None:
        raise EntityError("comments are not supported")

    def handle_decl(self, decl: str) -> None:
        raise EntityError("declarations are not supported")

    def handle_pi(self, data: str) -> None:
        raise EntityError("processing instructions are not supported")

    def unknown_decl(self, data: str) -> None:
        raise EntityError("declarations are not supported")


def html_visible_text(text: str) -> str:
    """The text a user sees for an HTML `parse_mode` message; raises EntityError if Telegram
    would refuse it. Stricter than Telegram on "&": a bare "&" or an unknown entity is refused,
    as the docs require, where Telegram keeps it literally. A bare ">" is accepted, as there."""
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise EntityError(f'can\'t find end tag corresponding to start tag "{parser.open[-1]}"')
    return "".join(parser.visible)


def message_text(text: str, parse_mode: str | None) -> str:
    """The visible text of a sendMessage / editMessageText, or TextError. Markdown modes are
    not parsed: their length is counted on the raw text."""
    if parse_mode and parse_mode.lower() == "html":
        try:
            text = html_visible_text(text)
        except EntityError as exc:
            raise TextError(f"can't parse entities: {exc}") from None
    elif parse_mode not in (None, "", "Markdown", "MarkdownV2"):
        raise TextError("unsupported parse_mode")
    if not text.strip():
        raise TextError("message text is empty")
    if utf16_len(text) > 4096:
        raise TextError("message is too long")
    return text


def chat_object(
    chat_id: int | str, first_name: str = "User", chat_type: str | None = None
) -> dict[str, Any]:
    """A Chat for a chat_id as the bot sends it (an int, or "@username" for a channel)."""
    if isinstance(chat_id, str):  # "@channelname"
        return {"id": -1001000000000, "type": "channel", "title": chat_id, "username": chat_id[1:]}
    chat_type = chat_type or ("private" if chat_id > 0 else "supergroup")
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": chat_type, "title": f"Test {chat_type}"}


# Update builders: each returns a valid Update dict, without update_id unless given.
_ids = itertools.count(1)


class Sender(TypedDict, total=False):
    """Who sends a built update, and where: user_id defaults to the chat's id, chat_type to
    "private" for a positive chat id and "supergroup" for a negative one."""

    user_id: int | None
    username: str | None
    first_name: str
    language_code: str | None
    update_id: int | None
    chat_type: str | None


class MessageSender(Sender, total=False):
    message_id: int | None


def _user(chat_id: int, sender: Sender) -> dict[str, Any]:
    user_id = sender.get("user_id")
    user: dict[str, Any] = {"id": chat_id if user_id is None else user_id, "is_bot": False}
    user["first_name"] = sender.get("first_name", "Test")
    for key in ("username", "language_code"):
        if (value := sender.get(key)) is not None:
            user[key] = value
    return user


def _message_update(
    chat_id: int, content: dict[str, Any], sender: MessageSender, key: str = "message"
) -> dict[str, Any]:
    user = _user(chat_id, sender)
    chat = chat_object(chat_id, user["first_name"], sender.get("chat_type"))
    if chat["type"] == "private" and "username" in user:
        chat["username"] = user["username"]
    message_id = sender.get("message_id")
    message: dict[str, Any] = {"message_id": next(_ids) if message_id is None else message_id}
    message |= {"from": user, "chat": chat, "date": int(time.time())} | content
    if key == "edited_message":
        message["edit_date"] = int(time.time())
    update: dict[str, Any] = {key: message}
    if (update_id := sender.get("update_id")) is not None:
        update["update_id"] = update_id
    return update


def text_update(
    chat_id: int, text: str, *, edited: bool = False, **sender: Unpack[MessageSender]
) -> dict[str, Any]:
    return _message_update(
        chat_id, {"text": text}, sender, "edited_message" if edited else "message"
    )


def reply_update(
    chat_id: int, text: str, replied: dict[str, Any], **sender: Unpack[MessageSender]
) -> dict[str, Any]:
    """The user replies to `replied` (a message as Telegram returned it when it was sent)."""
    return _message_update(chat_id, {"text": text, "reply_to_message": replied}, sender)


def command_update(
    chat_id: int, command: str, payload: str | None = None, **sender: Unpack[MessageSender]
) -> dict[str, Any]:
    """`/start` (and a deep-link payload, "/start abc") with its bot_command entity."""
    text = command if payload is None else f"{command} {payload}"
    entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
    return _message_update(chat_id, {"text": text, "entities": [entity]}, sender)


def callback_update(
    chat_id: int,
    data: str,
    *,
    message_id: int = 1,
    message_text: str = "Choose:",
    callback_id: str | None = None,
    **sender: Unpack[Sender],
) -> dict[str, Any]:
    """A button press under the bot's message `message_id`."""
    user = _user(chat_id, sender)
    chat = chat_object(chat_id, user["first_name"], sender.get("chat_type"))
    message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "chat": chat}
    message["text"] = message_text
    query = {"id": callback_id or str(next(_ids)), "from": user, "chat_instance": f"ci{chat_id}"}
    update: dict[str, Any] = {"callback_query": query | {"data": data, "message": message}}
    if (update_id := sender.get("update_id")) is not None:
        update["update_id"] = update_id
    return update


def _file(kind: str, **extra: Any) -> dict[str, Any]:
    n = next(_ids)
    return {"file_id": f"{kind}-{n}", "file_unique_id": f"u{kind}{n}"} | extra


def photo_update(
    chat_id: int, *, caption: str | None = None, **sender: Unpack[MessageSender]
) -> dict[str, Any]:
    sizes = [_file("photo", width=90, height=68), _file("photo", width=1280, height=960)]
    caption_part = {} if caption is None else {"caption": caption}
    return _message_update(chat_id, {"photo": sizes} | caption_part, sender)


def sticker_update(
    chat_id: int, *, emoji: str = "👍", **sender: Unpack[MessageSender]
) -> dict[str, Any]:
    shape = {"type": "regular", "width": 512, "height": 512, "is_animated": False}
    sticker = _file("sticker", **shape, is_video=False, emoji=emoji)
    return _message_update(chat_id, {"sticker": sticker}, sender)


def voice_update(
    chat_id: int,
    *,
    duration: int = 3,
    file: dict[str, Any] | None = None,
    **sender: Unpack[MessageSender],
) -> dict[str, Any]:
    """`file`: what `FakeTelegram.add_file` returned, to make the voice downloadable."""
    voice = _file("voice", duration=duration, mime_type="audio/ogg", file_size=4096) | (file or {})
    return _message_update(chat_id, {"voice": voice}, sender)


def document_update(
    chat_id: int,
    *,
    file_name: str = "offer.pdf",
    mime_type: str = "application/pdf",
    caption: str | None = None,
    file: dict[str, Any] | None = None,
    **sender: Unpack[MessageSender],
) -> dict[str, Any]:
    """`file`: what `FakeTelegram.add_file` returned, to make the document downloadable."""
    document = _file("document", file_name=file_name, mime_type=mime_type, file_size=20480)
    document |= file or {}
    caption_part = {} if caption is None else {"caption": caption}
    return _message_update(chat_id, {"document": document} | caption_part, sender)


def location_update(
    chat_id: int,
    latitude: float = 52.52,
    longitude: float = 13.405,
    **sender: Unpack[MessageSender],
) -> dict[str, Any]:
    location = {"latitude": latitude, "longitude": longitude}
    return _message_update(chat_id, {"location": location}, sender)
