import random
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from inline_snapshot import snapshot

from agent.telegram.formatting import split_text, to_html, utf16_len

ALLOWED = {"b", "i", "code", "pre", "a"}
MARKERS = "*_`[]()•#-"


class Checked(HTMLParser):
    """Reads `to_html` output as Telegram would, failing on anything it would refuse.

    `visible()` is the text the user sees; `source_order()` is that text with each link's href
    put back after its label and each code block's language before its code, as in the source.
    """

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.shown: list[str] = []
        self.feed(html)
        self.close()
        assert not self.open, f"unclosed {self.open} in {html!r}"

    def handle_starttag(self, tag, attrs):
        assert tag in ALLOWED, tag
        names = [name for name, _ in self.open]
        # Telegram nests nothing in code or pre but a pre's code, and code in nothing else.
        if tag in {"code", "pre"}:
            assert names in ([], ["pre"] if tag == "code" else []), f"<{tag}> inside {names}"
        else:
            assert not {"code", "pre"} & set(names), f"<{tag}> inside {names}"
        assert tag != "a" or "a" not in names
        attributes = dict(attrs)
        assert set(attributes) <= {"a": {"href"}, "code": {"class"}}.get(tag, set())
        language = (attributes.get("class") or "").removeprefix("language-")
        self.text.append(language)
        self.open.append((tag, attributes.get("href") or ""))

    def handle_endtag(self, tag):
        assert self.open, f"</{tag}> closes nothing"
        opened, href = self.open.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"
        self.text.append(href)

    def handle_data(self, data):
        assert "<" not in data and "&" not in data, data
        self.text.append(data)
        self.shown.append(data)

    def handle_entityref(self, name):
        assert name in {"lt", "gt", "amp", "quot"}, name
        self.text.append(unescape(f"&{name};"))
        self.shown.append(unescape(f"&{name};"))

    def handle_charref(self, name):
        raise AssertionError(f"&#{name};")

    def source_order(self) -> str:
        return "".join(self.text)

    def visible(self) -> str:
        return "".join(self.shown)


def test_user_supplied_names_stay_literal_and_escaped():
    text = "Ivan_Petrov <script> a*b O'Brien & Sons snake_case_name@mail.com 2*3*4 a * b"
    assert to_html(text) == snapshot(
        "Ivan_Petrov &lt;script&gt; a*b O'Brien &amp; Sons snake_case_name@mail.com 2*3*4 a * b"
    )


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("**bold** and __bold__", "<b>bold</b> and <b>bold</b>"),
        ("*italic* and _italic_", "<i>italic</i> and <i>italic</i>"),
        ("run `pip install a_b` now", "run <code>pip install a_b</code> now"),
        ("`a < b && *c*`", "<code>a &lt; b &amp;&amp; *c*</code>"),
        ("[the site](https://ex.com/a_b)", '<a href="https://ex.com/a_b">the site</a>'),
        ("[write](mailto:ivan_p@mail.com)", '<a href="mailto:ivan_p@mail.com">write</a>'),
        (
            '[q](https://ex.com/?q="x"&y=1)',
            '<a href="https://ex.com/?q=&quot;x&quot;&amp;y=1">q</a>',
        ),
        ("# Plan for *today*", "<b>Plan for <i>today</i></b>"),
        ("## **Already** bold ##", "<b>Already bold</b>"),
        ("- first\n* second\n  - nested", "• first\n• second\n  • nested"),
        ("***both***", "<i><b>both</b></i>"),
        (
            "see https://ex.com/_a_ and **https://ex.com**",
            "see https://ex.com/_a_ and <b>https://ex.com</b>",
        ),
    ],
)
def test_markdown_becomes_telegram_html(markdown, html):
    assert to_html(markdown) == html


def test_bold_can_hold_italic_and_the_reverse():
    assert to_html("**bold _and italic_ text**") == snapshot("<b>bold <i>and italic</i> text</b>")
    assert to_html("*italic **and bold** text*") == snapshot("<i>italic <b>and bold</b> text</i>")


def test_tags_telegram_cannot_nest_are_left_out():
    assert to_html("**`code`** [`x`](https://x.io) ## not a heading") == snapshot(
        '<b>code</b> <a href="https://x.io">x</a> ## not a heading'
    )
    assert to_html("# A **bold** title") == snapshot("<b>A bold title</b>")


def test_a_fenced_code_block_becomes_pre():
    text = "Run this:\n```python\nprint(a_b * 2 < 3)  # **not bold**\n```\nDone."
    assert to_html(text) == snapshot(
        """\
Run this:
<pre><code class="language-python">print(a_b * 2 &lt; 3)  # **not bold**</code></pre>
Done.\
"""
    )
    assert to_html("```\n<b>\n```") == snapshot("<pre><code>&lt;b&gt;</code></pre>")


@pytest.mark.parametrize(
    "text",
    [
        "**unclosed bold",
        "*unclosed italic",
        "a ** b ** c",
        "_private and __dunder",
        "`unclosed code",
        "```python\nnever closed",
        "**across\nlines**",
        "[no link](ftp://x.org)",
        "[text] (https://x.org)",
    ],
)
def test_unmatched_markers_stay_literal(text):
    assert to_html(text) == text


def test_only_safe_link_schemes_become_links():
    assert to_html("[click](javascript:alert(1)) [x](data:text/html,hi)") == snapshot(
        "[click](javascript:alert(1)) [x](data:text/html,hi)"
    )
    assert to_html("[chat](tg://resolve?domain=x)") == snapshot(
        '<a href="tg://resolve?domain=x">chat</a>'
    )


def test_crossed_markers_give_nested_tags_or_literal_text():
    assert to_html("**a _b** c_") == snapshot("<b>a _b</b> c_")
    assert to_html("*a **b* c**") == snapshot("<i>a b c</i>")


def test_cyrillic():
    assert to_html("Привет, **Иван_Петров**! Ваш _заказ_ № 5 готов; цена 2*3 ₽.") == snapshot(
        "Привет, <b>Иван_Петров</b>! Ваш <i>заказ</i> № 5 готов; цена 2*3 ₽."
    )


def random_markdown(rng: random.Random) -> str:
    alphabet = [*"*_`[]()<>&abЯ  \n", "**", "```", "```py\n", "\n```\n", "http://x", "](http://x)"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


@pytest.mark.parametrize("seed", range(8))
def test_any_text_gives_well_formed_html_keeping_every_letter(seed):
    rng = random.Random(seed)
    for _ in range(60):
        text = random_markdown(rng)
        shown = Checked(to_html(text)).source_order()
        assert strip(shown) == strip(text), (text, to_html(text))


def strip(text: str) -> str:
    """`text` without Markdown markers, nor whitespace: a code block's fence lines vanish."""
    return re.sub(rf"[{re.escape(MARKERS)}\s]", "", text)


def test_short_text_is_one_part_as_is():
    assert split_text("  Hello, *Ivan*!\n") == ["  Hello, *Ivan*!\n"]
    assert split_text("x" * 4096) == ["x" * 4096]


@pytest.mark.parametrize("text", ["", " ", "\n\n \t"])
def test_blank_text_has_no_parts(text):
    assert split_text(text) == []


def words(text: str) -> list[str]:
    return text.split()


def test_a_long_reply_splits_at_paragraphs():
    rng = random.Random(1)
    vocabulary = ["сделка", "client", "звонок", "deal.", "Ivan_Petrov", "😀"]
    paragraphs = [" ".join(rng.choices(vocabulary, k=rng.randint(20, 150))) for _ in range(18)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 10_000
    parts = split_text(text)
    assert len(parts) == 4
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert all(set(p.split("\n\n")) <= set(paragraphs) for p in parts)
    assert "\n\n".join(parts) == text


def test_a_long_paragraph_splits_at_sentence_ends():
    sentences = [f"Предложение номер {n} про сделку с клиентом Ivan_Petrov." for n in range(300)]
    text = " ".join(sentences)
    parts = split_text(text, limit=1000)
    assert len(parts) == snapshot(18)
    assert all(utf16_len(p) <= 1000 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert words(" ".join(parts)) == words(text)
    assert split_text("One? Two! Three… Four.", limit=10) == ["One? Two!", "Three…", "Four."]


def test_lines_come_before_sentences_and_sentences_before_spaces():
    assert split_text("a b. c\nd e", limit=9) == ["a b. c", "d e"]
    assert split_text("a b. c d e", limit=9) == ["a b.", "c d e"]
    assert split_text("a b c d e", limit=6) == ["a b c", "d e"]


def test_emoji_are_never_cut_in_half():
    text = "😀" * 5000
    parts = split_text(text)
    assert [utf16_len(p) for p in parts] == [4096, 4096, 1808]
    assert "".join(parts) == text
    assert split_text("a😀😀", limit=4) == ["a😀", "😀"]


def test_a_single_huge_word_is_cut_hard():
    parts = split_text("x" * 10_000)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_a_code_block_is_kept_whole_when_it_can_be():
    intro = "Intro sentence. " * 100
    code = "```python\n" + "\n".join(f"line_{n} = {n}" for n in range(200)) + "\n```"
    parts = split_text(f"{intro}\n{code}\nBye.", limit=3500)
    assert parts == [intro.strip(), f"{code}\nBye."]


def test_a_code_block_longer_than_the_limit_still_splits():
    code = "```\n" + "\n".join(f"line_{n} = {n}" for n in range(300)) + "\n```"
    parts = split_text(code, limit=2000)
    assert all(utf16_len(p) <= 2000 for p in parts)
    assert words(" ".join(parts)) == words(code)
    assert all(p.startswith(("```", "line_")) for p in parts)


def test_every_part_converts_to_html_no_longer_than_its_source():
    text = "**Итог** по _сделкам_:\n\n" + "- [Клиент](https://crm.example/c_1) оплатил. " * 300
    for part in split_text(text):
        assert utf16_len(Checked(to_html(part)).visible()) <= utf16_len(part) <= 4096
