"""A scripted OpenAI-compatible Chat Completions server on a local port, for wire tests.

A request with `stream: true` is answered as server-sent events, as OpenAI does: the text in
tokens (a word and the space after it), the first after `first_token` seconds and then one per
1/`tokens_per_second`, each wait taken by `sleep` (tests pass one that only records, the bench
the real one); a tool call comes in one chunk.
It also transcribes audio (/v1/audio/transcriptions) with scripted transcripts."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeOpenAI:
    replies: deque[dict[str, Any] | int] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    echo: bool = False
    """Once the scripted replies run out, answer each request with its last user message."""
    delay: float = 0.0
    gate: threading.Event = field(default_factory=threading.Event)
    """Cleared, requests wait at it (counted in `arrived`) until it is set again."""
    arrived: int = 0
    first_token: float = 0.0
    tokens_per_second: float | None = None
    sleep: Callable[[float], None] = time.sleep
    schedule: Callable[[], float] | None = None
    """A clock to pace the tokens by (the bench's `time.monotonic`): each waits until its time
    from the first one, so real sleeps running over do not add up; None: fixed waits."""
    first_tokens: list[float] = field(default_factory=list)
    """When each reply's first token was sent (`time.monotonic()`), for the bench; unstreamed,
    when it would have been."""
    transcripts: deque[str | int] = field(default_factory=deque)
    """What each transcription request hears, in order, or the error status it gets."""
    heard: list[dict[str, Any]] = field(default_factory=list)
    """The transcription requests: their form fields, the file as (name, bytes)."""

    def __post_init__(self) -> None:
        self.gate.set()

    def tool_call(self, name: str, arguments: dict[str, Any]) -> FakeOpenAI:
        n = len(self.replies)
        call = {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
        }
        self.replies.append({"role": "assistant", "content": None, "tool_calls": [call]})
        return self

    def text(self, content: str) -> FakeOpenAI:
        self.replies.append({"role": "assistant", "content": content})
        return self

    def failure(self, status: int) -> FakeOpenAI:
        self.replies.append(status)
        return self

    def transcript(self, text: str | int) -> FakeOpenAI:
        """The next audio transcribed is heard as `text`; a number: it fails with that status."""
        self.transcripts.append(text)
        return self

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path == "/v1/audio/transcriptions":
                    return self._transcribe()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.arrived += 1
                fake.gate.wait()
                time.sleep(fake.delay)
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions" or not (fake.replies or fake.echo):
                    return self._send(404, {"error": {"message": "unexpected request"}})
                reply = fake.replies.popleft() if fake.replies else _echo(body)
                if isinstance(reply, int):
                    return self._send(
                        reply, {"error": {"message": "overloaded", "type": "server_error"}}
                    )
                finish = "tool_calls" if reply.get("tool_calls") else "stop"
                if body.get("stream"):
                    return self._stream(body, reply, finish)
                fake.write_time(reply)
                return self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(fake.requests)}",
                        "object": "chat.completion",
                        "created": 1_790_000_000,
                        "model": body["model"],
                        "choices": [{"index": 0, "message": reply, "finish_reason": finish}],
                        "usage": {
                            "prompt_tokens": 120,
                            "completion_tokens": 12,
                            "total_tokens": 132,
                        },
                    },
                )

            def _transcribe(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                form = _form(self.headers["Content-Type"], raw)
                fake.heard.append(form)
                if not fake.transcripts:
                    return self._send(404, {"error": {"message": "unexpected request"}})
                if "model" not in form or "file" not in form:
                    return self._send(400, {"error": {"message": "model and file are required"}})
                heard = fake.transcripts.popleft()
                if isinstance(heard, int):
                    return self._send(heard, {"error": {"message": "failed", "type": "error"}})
                return self._send(200, {"text": heard, "usage": {"type": "duration", "seconds": 3}})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], reply: dict[str, Any], finish: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                head = {
                    "id": f"chatcmpl-{len(fake.requests)}",
                    "object": "chat.completion.chunk",
                    "created": 1_790_000_000,
                    "model": body["model"],
                }
                for chunk in fake.chunks(reply, finish):
                    event = json.dumps(head | chunk, ensure_ascii=False)
                    self.wfile.write(f"data: {event}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}/v1"

    def write_time(self, reply: dict[str, Any]) -> None:
        """Unstreamed, the whole reply comes once the model would have written it."""
        if not self.tokens_per_second:
            return
        self.sleep(self.first_token)
        self.first_tokens.append(time.monotonic())
        self.sleep(max(len(_tokens(reply)) - 1, 0) / self.tokens_per_second)

    def chunks(self, reply: dict[str, Any], finish: str) -> Iterator[dict[str, Any]]:
        """The streamed reply, waiting as a model would before each token."""
        self.sleep(self.first_token)
        self.first_tokens.append(time.monotonic())
        yield _choice({"role": "assistant", "content": ""})
        if reply.get("tool_calls"):
            calls = [{"index": i} | c for i, c in enumerate(reply["tool_calls"])]
            yield _choice({"tool_calls": calls})
        first = self.schedule() if self.schedule else 0.0
        for n, token in enumerate(_tokens(reply)):
            if n and self.tokens_per_second:
                wait = 1 / self.tokens_per_second
                if self.schedule:
                    wait = max(first + n * wait - self.schedule(), 0.0)
                self.sleep(wait)
            yield _choice({"content": token})
        yield _choice({}, finish)
        usage = {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132}
        yield {"choices": [], "usage": usage}


def _tokens(reply: dict[str, Any]) -> list[str]:
    """A word and the space after it."""
    return re.findall(r"\S+\s*|\s+", reply.get("content") or "")


def _choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _form(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body: each field's text, and a file as (its name, its bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        filename = part.get_filename()
        form[str(name)] = (filename, content) if filename else content.decode()
    return form


def _echo(body: dict[str, Any]) -> dict[str, Any]:
    said = [m["content"] for m in body["messages"] if m["role"] == "user"]
    return {"role": "assistant", "content": f"echo: {said[-1] if said else ''}"}
