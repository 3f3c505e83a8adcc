"""Files people send are fetched through getFile and the file URL, by the real
python-telegram-bot client from the fake Bot API, never past the caller's limit."""

from __future__ import annotations

import pytest

from agent.telegram import files
from agent.telegram.transport import make_bot
from tests.fakes.telegram import FakeTelegram


async def test_a_file_is_fetched_whole_and_a_larger_one_refused_before_the_download() -> None:
    async with FakeTelegram() as tg:
        small = tg.add_file(b"OggS voice", name="voice.ogg")
        large = tg.add_file(b"x" * 2048, name="long.ogg")
        bot = make_bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
        async with bot:
            assert await files.download(bot, small["file_id"], max_bytes=1024) == b"OggS voice"
            with pytest.raises(files.FileTooBig) as refused:
                await files.download(bot, large["file_id"], max_bytes=1024)
        assert (refused.value.size, refused.value.limit) == (2048, 1024)
        assert [c.method for c in tg.calls if c.method == "getFile"] == ["getFile"] * 2
        assert tg.violations == []
