"""Turn the assistant's replies into messages Telegram accepts.

Replies are sent with parse_mode "HTML". The model writes light Markdown and the texts embed
user-supplied names ("Ivan_Petrov", "<script>", "a*b"), so `to_html` escapes everything and
converts only unambiguous Markdown, always emitting balanced tags Telegram allows. `split_text`
cuts a long reply into parts under Telegram's 4096 UTF-16 unit limit, at the gentlest boundary.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

LIMIT = 4096

_FENCE_OPEN = re.compile(r"^[ \t]*```([\w+#.-]*)[ \t]*\n", re.M)
_FENCE_CLOSE = re.compile(r"^[ \t]*```[ \t]*$", re.M)
# Cut positions in preference order; each pattern's `cut` group ends where the part ends.
_BOUNDARIES = [
    re.compile(r"(?P<cut>)\n[ \t]*\n"),
    re.compile(r"(?P<cut>)\n"),
    re.compile(r"(?P<cut>[.!?…]+[\"'»”)\]]*)(?=\s)"),
    re.compile(r"(?P<cut>)\s"),
]
_TOKEN = re.compile(
    r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)"
    r"|\[(?P<label>[^\[\]\n]+)\]\((?P<url>(?:https?|tg)://[^\s()<>]+|mailto:[^\s()<>]+)\)"
    # Bare URLs and emails are atoms, so the underscores in them never turn into italics.
    r"|(?P<atom>(?:https?|tg)://[^\s<>`]*[^\s<>`*_.,:;!?'\")\]]"
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<delim>\*+|_+)"
)
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+(?P<text>.*?\S)(?:[ \t]+#+)?[ \t]*")
_BULLET = re.compile(r"(?P<indent>[ \t]*)[-*][ \t]+(?P<text>\S.*)")


def utf16_len(s: str) -> int:
    """Length as Telegram counts it: in UTF-16 code units."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Parts of `text`, each at most `limit` UTF-16 units, cut at the gentlest boundary."""
    if limit < 2:
        raise ValueError("limit must fit any one character")
    if not text.strip():
        return []
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        cut = _cut(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*parts, rest] if rest else parts


def _cut(s: str, limit: int) -> int:
    """Where to end the next part of `s`, which does not fit in `limit`."""
    n = _fit(s, limit)
    fences = [(start, end) for start, end, _, _ in _fences(s)]
    # A boundary far back leaves a tiny part, and one inside a code block two halves shown as
    # plain lines: take those only when nothing better is in reach.
    for floor, in_code in ((n // 3, False), (0, False), (0, True)):
        for pattern in _BOUNDARIES:
            cuts = (m.end("cut") for m in pattern.finditer(s, 0, n + 1))
            if ok := [c for c in cuts if floor < c <= n and (in_code or _outside(c, fences))]:
                return ok[-1]
    return n


def _outside(cut: int, fences: list[tuple[int, int]]) -> bool:
    return all(not start < cut < end for start, end in fences)


def _fit(s: str, limit: int) -> int:
    """How many characters of `s` fit in `limit` UTF-16 units; never half a surrogate pair."""
    units = 0
    for i, char in enumerate(s):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(s)


def _fences(text: str) -> Iterator[tuple[int, int, str, str]]:
    """Start, end, language and code of each ``` block."""
    pos = 0
    # Once a fence finds no closing line, no later one can: stopping keeps this linear.
    while (start := _FENCE_OPEN.search(text, pos)) and (
        end := _FENCE_CLOSE.search(text, start.end())
    ):
        yield start.start(), end.end(), start[1], text[start.end() : end.start()].removesuffix("\n")
        pos = end.end()


def to_html(text: str) -> str:
    """`text` escaped for Telegram's HTML parse mode, its light Markdown turned into tags."""
    out: list[str] = []
    pos = 0
    for start, end, lang, code in _fences(text):
        out += [_lines(text[pos:start]), _pre(lang, code)]
        pos = end
    out.append(_lines(text[pos:]))
    return "".join(out)


def _pre(lang: str, code: str) -> str:
    language = f' class="language-{lang}"' if lang else ""
    return f"<pre><code{language}>{html.escape(code, quote=False)}</code></pre>"


def _lines(text: str) -> str:
    return "\n".join(_line(line) for line in text.split("\n"))


def _line(line: str) -> str:
    if heading := _HEADING.fullmatch(line):
        return f"<b>{_inline(heading['text'], frozenset({'b'}))}</b>"
    if bullet := _BULLET.fullmatch(line):
        return f"{bullet['indent']}• {_inline(bullet['text'])}"
    return _inline(line)


@dataclass
class _Delim:
    """A run of * or _; matched pairs consume it from the inside out."""

    char: str
    count: int
    can_open: bool
    can_close: bool
    opens: list[str] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)


def _inline(line: str, outer: frozenset[str] = frozenset()) -> str:
    """One line's inline Markdown as HTML; tags in `outer` are already open around it."""
    tokens = _tokens(line)
    _match([t for t in tokens if isinstance(t, _Delim)])
    return _render(tokens, outer)


def _tokens(line: str) -> list[str | re.Match[str] | _Delim]:
    """Literal text, code spans and links (as matches), and * or _ runs."""
    tokens: list[str | re.Match[str] | _Delim] = []
    pos, spaced = 0, f" {line} "
    for m in _TOKEN.finditer(line):
        tokens.append(line[pos : m.start()])
        if m["delim"]:
            before, after = spaced[m.start()], spaced[m.end() + 1]
            can_open = not after.isspace() and not before.isalnum()
            can_close = not before.isspace() and not after.isalnum()
            tokens.append(_Delim(m["delim"][0], len(m["delim"]), can_open, can_close))
        else:
            tokens.append(m["atom"] or m)
        pos = m.end()
    tokens.append(line[pos:])
    return tokens


def _match(delims: list[_Delim]) -> None:
    """Pair openers with closers; a pair drops the openers inside it, so pairs never cross."""
    stack: list[_Delim] = []
    for closer in delims:
        while closer.can_close and closer.count:
            k = next((k for k in reversed(range(len(stack))) if stack[k].char == closer.char), -1)
            if k < 0:
                break
            opener = stack[k]
            n = 2 if opener.count >= 2 and closer.count >= 2 else 1
            tag = "b" if n == 2 else "i"
            opener.count, closer.count = opener.count - n, closer.count - n
            opener.opens.append(tag)
            closer.closes.append(tag)
            del stack[k + (opener.count > 0) :]
        if closer.can_open and closer.count:
            stack.append(closer)


def _render(tokens: list[str | re.Match[str] | _Delim], outer: frozenset[str]) -> str:
    # Telegram lets b and i nest in anything but code, and nothing nest in code or a link
    # but b and i; so code inside another tag is shown plain and a tag already open is skipped.
    depth = Counter(outer)
    out: list[str] = []
    for token in tokens:
        if isinstance(token, str):
            out.append(html.escape(token, quote=False))
        elif isinstance(token, _Delim):
            for name in token.closes:
                out.append(f"</{name}>" if depth[name] == 1 else "")
                depth[name] -= 1
            out.append(token.char * token.count)
            for name in reversed(token.opens):
                depth[name] += 1
                out.append(f"<{name}>" if depth[name] == 1 else "")
        elif token["code"] is not None:
            code = html.escape(token["code"], quote=False)
            out.append(code if +depth else f"<code>{code}</code>")
        else:
            href = html.escape(token["url"], quote=False).replace('"', "&quot;")
            label = _inline(token["label"], frozenset(+depth) | {"a"})
            out.append(label if depth["a"] else f'<a href="{href}">{label}</a>')
    return "".join(out)
