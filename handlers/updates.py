"""Long polling that survives an update it cannot read.

PTB parses a whole ``getUpdates`` batch at once. One update it cannot parse (a field from a newer
Bot API than this PTB knows, a broken proxy in between) fails the batch: the offset never moves
past it, polling fetches the same batch again and again, and every later update waits behind it
for the 24 hours Telegram keeps it (PTB also logs the raw batch, message text included, each
time). Here each update is checked on its own first; one that does not parse is replaced by its
bare ``update_id``, which PTB reads as an update with nothing in it. No handler matches that, so it
is dropped quietly and the offset moves on.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)


class TolerantUpdatesRequest(HTTPXRequest):
    """The connection ``getUpdates`` uses, with unreadable updates emptied."""

    async def post(self, url: str, request_data: RequestData | None = None, **timeouts: Any) -> Any:
        result = await super().post(url, request_data, **timeouts)
        if url.endswith("/getUpdates") and isinstance(result, list):
            return [readable(item) for item in result]
        return result


def readable(item: Any) -> Any:
    """The update as it came, or only its ``update_id`` when PTB could not parse it."""
    try:
        Update.de_json(item, None)
    except Exception as error:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        # Never the update itself: it may hold what the person wrote.
        log.warning(
            "unreadable update dropped",
            extra={"update_id": update_id, "error": type(error).__name__},
        )
        if isinstance(update_id, int):
            return {"update_id": update_id}
    return item
