"""What each kind of Telegram update becomes: an inbox row, then a turn or a fixed answer."""

from __future__ import annotations

from typing import Any

from inline_snapshot import snapshot

from agent.channel import Inbound, Reply, Sender
from agent.telegram import updates
from agent.telegram.updates import interpret
from db.inbox import Claim
from tests.fakes.telegram import (
    callback_update,
    command_update,
    document_update,
    location_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)


def numbered(update: dict[str, Any], update_id: int = 5) -> dict[str, Any]:
    return {**update, "update_id": update_id}


def test_messages_and_presses_go_to_their_chat_inbox() -> None:
    message = updates.to_inbox(numbered(text_update(501, "hi")))
    press = updates.to_inbox(numbered(callback_update(502, "confirm", message_id=9), 6))
    assert message is not None and press is not None
    assert (message.update_id, message.chat_id, message.kind) == (5, 501, "message")
    assert (press.update_id, press.chat_id, press.kind) == (6, 502, "callback")
    assert updates.callback_query(press.payload) == (press.payload["callback_query"]["id"], 9)
    assert updates.callback_query(message.payload) is None


def test_other_updates_are_not_kept() -> None:
    member = {"update_id": 3, "my_chat_member": {"chat": {"id": 1}}}
    assert updates.to_inbox(member) is None


def test_a_text_goes_to_the_turn_as_typed() -> None:
    update = text_update(501, "Иван, ivan@x.com", username="ivan", language_code="ru")
    assert interpret(update) == Inbound(
        501, Sender(501, "ivan", "Test", "ru"), text="Иван, ivan@x.com"
    )


def test_a_press_goes_to_the_turn_with_its_data() -> None:
    assert interpret(callback_update(501, "approve:42")) == Inbound(
        501, Sender(501, None, "Test", None), press="approve:42"
    )


def test_commands_are_understood_but_never_required() -> None:
    start = interpret(command_update(501, "/start"))
    deep = interpret(command_update(501, "/start", "ref_bali"))
    help_ = interpret(command_update(501, "/help@salesbot_test_bot"))
    other = interpret(command_update(501, "/prospects"))
    assert isinstance(start, Inbound) and isinstance(deep, Inbound)
    assert isinstance(help_, Inbound) and isinstance(other, Inbound)
    assert [(i.text, i.note) for i in (start, deep, help_, other)] == snapshot(
        [
            (None, "[The user opened the chat with /start]"),
            (None, "[The user opened the chat with /start from a link with payload «ref_bali»]"),
            (None, "[The user sent /help: tell them briefly what you can do for them]"),
            ("/prospects", None),
        ]
    )


def test_an_edit_is_heard_as_a_correction() -> None:
    edited = interpret(text_update(501, "ivan@truerealestate.bali", edited=True))
    assert isinstance(edited, Inbound)
    assert (edited.text, edited.note) == snapshot(
        ("ivan@truerealestate.bali", "[The user edited an earlier message; it now reads:]")
    )


def test_what_is_not_text_gets_a_fixed_answer_in_the_users_language() -> None:
    kinds = [
        photo_update(501, language_code="en"),
        sticker_update(501),
        voice_update(501, language_code="ru"),
        document_update(501, language_code="de"),
        location_update(501),
    ]
    replies = [interpret(u) for u in kinds]
    assert all(isinstance(r, Reply) and r.key == "not_text" for r in replies)
    texts = [r.text(None) for r in replies if isinstance(r, Reply)]
    assert texts == snapshot(
        [
            "I cannot see photos, videos, stickers, locations or what is inside a file; a caption I do read. Please write it in words.",
            "Фото, видео, стикеры, геопозицию и содержимое файлов я не вижу, а подпись к ним читаю. Напишите, пожалуйста, словами.",
            "Фото, видео, стикеры, геопозицию и содержимое файлов я не вижу, а подпись к ним читаю. Напишите, пожалуйста, словами.",
            "I cannot see photos, videos, stickers, locations or what is inside a file; a caption I do read. Please write it in words.",
            "Фото, видео, стикеры, геопозицию и содержимое файлов я не вижу, а подпись к ним читаю. Напишите, пожалуйста, словами.",
        ]
    )
    reply = replies[0]
    assert isinstance(reply, Reply) and reply.text("ru").startswith("Фото, видео")


def test_a_caption_is_read_and_the_model_told_it_cannot_see_the_file() -> None:
    inbound = interpret(photo_update(501, caption="договор клиента"))
    assert isinstance(inbound, Inbound)
    assert (inbound.text, inbound.note) == snapshot(
        (
            "договор клиента",
            "[The user sent a photo with this caption; you cannot see the photo itself]",
        )
    )


def test_a_group_hears_once_that_the_bot_works_in_private() -> None:
    reply = interpret(text_update(-100, "@salesbot_test_bot hi", chat_type="group", user_id=7))
    assert reply == Reply(-100, "group", None, dedupe_key="group:-100")
    assert isinstance(reply, Reply)
    assert reply.text("en") == "I work in private chat only. Open a chat with me and write there."


def test_messages_from_bots_are_ignored() -> None:
    update = text_update(501, "hi")
    update["message"]["from"]["is_bot"] = True
    assert interpret(update) is None


def test_a_message_without_from_is_heard_as_its_private_chat() -> None:
    update = text_update(501, "hi")
    del update["message"]["from"]
    action = interpret(update)
    assert isinstance(action, Inbound)
    assert (action.chat_id, action.sender.telegram_id, action.text) == (501, 501, "hi")


def test_a_nul_or_a_lone_surrogate_is_replaced_before_the_update_is_kept() -> None:
    update = numbered(text_update(501, "a\x00b\ud800c"))
    update["message"]["entities"] = [{"type": "bold", "offset": 0, "length": 1, "x": "\x00"}]
    kept = updates.to_inbox(update)
    assert kept is not None
    assert kept.payload["message"]["text"] == "ab\ufffdc"
    assert kept.payload["message"]["entities"][0]["x"] == ""


def test_of_an_update_the_database_refused_its_sender_is_asked_again_except_in_a_group() -> None:
    private = updates.to_inbox(numbered(callback_update(501, "ok", language_code="ru"), 7))
    group = updates.to_inbox(numbered(text_update(-300, "hi", chat_type="group", user_id=7), 8))
    assert private is not None and group is not None
    notes = [updates.unstored(u, "refused") for u in (private, group)]
    assert [(n.kind, n.chat_id, n.payload) for n in notes] == [
        (
            "unstored",
            501,
            {"update_id": 7, "private": True, "language_code": "ru", "error": "refused"},
        ),
        (
            "unstored",
            -300,
            {"update_id": 8, "private": False, "language_code": None, "error": "refused"},
        ),
    ]
    claims = [Claim(1, n.chat_id, n.kind, n.payload, 1, "w") for n in notes]
    assert [updates.KINDS["unstored"](c) for c in claims] == [
        Reply(501, "unstored", "ru", "unstored:7", error="refused"),
        None,
    ]
