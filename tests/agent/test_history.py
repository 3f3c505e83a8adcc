import json
from pathlib import Path

from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from agent import history

STORED_V1 = Path(__file__).parent / "data" / "history_v1.json"


def conversation(turns: int) -> list:
    """Each turn: the user's words, a tool call, its return, the reply."""
    messages: list = []
    for n in range(turns):
        messages += [
            ModelRequest(parts=[UserPromptPart(f"message {n}")]),
            ModelResponse(parts=[ToolCallPart("my_status", {}, tool_call_id=f"call-{n}")]),
            ModelRequest(parts=[ToolReturnPart("my_status", {"n": n}, tool_call_id=f"call-{n}")]),
            ModelResponse(parts=[TextPart(f"reply {n}")]),
        ]
    return messages


def orphans(messages: list) -> set[str]:
    calls = {p.tool_call_id for m in messages for p in m.parts if isinstance(p, ToolCallPart)}
    returns = {p.tool_call_id for m in messages for p in m.parts if isinstance(p, ToolReturnPart)}
    return calls ^ returns


def test_a_long_conversation_is_trimmed_at_whole_turns():
    messages = conversation(30)
    kept = history.trim(messages, limit=42)
    assert len(kept) == 40
    assert kept[0].parts[0].content == "message 20"
    assert orphans(kept) == set()


def test_a_turn_longer_than_the_limit_is_kept_whole():
    long_turn = conversation(1)
    for n in range(20):
        long_turn[1:1] = [
            ModelResponse(parts=[ToolCallPart("list_reps", {}, tool_call_id=f"x{n}")]),
            ModelRequest(parts=[ToolReturnPart("list_reps", [], tool_call_id=f"x{n}")]),
        ]
    messages = conversation(3) + long_turn
    kept = history.trim(messages, limit=10)
    assert kept == long_turn
    assert orphans(kept) == set()


def test_a_resumed_confirmation_is_not_cut_from_its_call():
    messages = conversation(2)
    messages += [
        ModelRequest(parts=[UserPromptPart("unregister me")]),
        ModelResponse(parts=[ToolCallPart("unregister_me", {}, tool_call_id="u")]),
        ModelRequest(
            parts=[
                ToolReturnPart("unregister_me", "denied", tool_call_id="u"),
                UserPromptPart("what?"),
            ]
        ),
        ModelResponse(parts=[TextPart("ok")]),
    ]
    kept = history.trim(messages, limit=3)
    assert kept[0].parts[0].content == "unregister me"
    assert orphans(kept) == set()


def test_history_round_trips_through_json():
    messages = conversation(3)
    text = history.dump(messages)
    assert history.load(text) == history.load(json.loads(text)) == messages
    assert json.loads(text)["v"] == history.VERSION


def test_a_history_stored_by_this_version_keeps_loading():
    stored = json.loads(STORED_V1.read_text())
    messages = history.load(stored)
    assert len(messages) == len(stored["messages"]) > 5
    assert messages[0].parts[0].content == "привет"
    assert orphans(messages) == {messages[-1].parts[0].tool_call_id}  # the paused unregister_me
    again = history.load(history.dump(messages))
    assert [m.parts for m in again] == [m.parts for m in messages]


def test_a_history_that_no_longer_loads_starts_afresh():
    assert history.load({"v": 1, "messages": [{"kind": "nonsense"}]}) == []
    assert history.load('{"v": 1, "messages": [{"kind": "nonsense"}]}') == []
    assert history.load("not json") == []
    assert history.load("[]") == history.load(None) == []


def test_the_last_reply_is_kept_as_it_was_sent():
    messages = conversation(2)
    messages[-1] = ModelResponse(parts=[TextPart("very long "), TextPart("reply")])
    kept = history.as_sent(messages, "very… (cut)")
    assert kept[:-1] == messages[:-1]
    assert kept[-1].parts == [TextPart("very… (cut)")]
    assert messages[-1].parts == [TextPart("very long "), TextPart("reply")]


def test_a_conversation_not_ending_in_a_reply_is_left_as_it_is():
    messages = conversation(1)[:-1]
    assert history.as_sent(messages, "cut") == messages
