"""Files people send the bot (voice notes, audio, documents), fetched through the Bot API:
getFile for where the file is, then the file URL; never more than the caller can take."""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest

TELEGRAM_LIMIT = 20 * 1024 * 1024
"""The largest file the Bot API lets a bot download (a local Bot API server lets it take more)."""

_READ_SECONDS = 60.0
"""A file of several megabytes takes longer to arrive than an API answer."""


class FileTooBig(Exception):
    """The file is larger than the caller takes; `size` is None when Telegram only said it was
    too big to download."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(f"the file has {size or 'more than allowed'} bytes; at most {limit}")
        self.size = size
        self.limit = limit


async def download(bot: Bot, file_id: str, *, max_bytes: int) -> bytes:
    """The file's bytes; `FileTooBig` past `max_bytes`, checked before the download when
    Telegram says the size and again on what arrived."""
    try:
        file = await bot.get_file(file_id)
    except BadRequest as e:
        if "too big" in e.message.lower():
            raise FileTooBig(None, max_bytes) from e
        raise
    if file.file_size is not None and file.file_size > max_bytes:
        raise FileTooBig(file.file_size, max_bytes)
    content = bytes(await file.download_as_bytearray(read_timeout=_READ_SECONDS))
    if len(content) > max_bytes:
        raise FileTooBig(len(content), max_bytes)
    return content
