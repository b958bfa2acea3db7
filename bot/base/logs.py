"""Structured logging that is safe for health data.

Log records carry ids and counts in ``extra=`` fields, rendered as ``key=value``. Message text, food
lists and tokens never go into a record; the HTTP client's request logs are kept at WARNING so the
bot token inside Bot API URLs is never written out.
"""

from __future__ import annotations

import logging
import sys

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if not fields:
            return base
        return base + " " + " ".join(f"{key}={value}" for key, value in sorted(fields.items()))


def setup_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "gutback", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.gutback = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs every request URL and PTB's bot its base URL at DEBUG, and both contain the token;
    # aiosqlite logs every SQL call with its parameters, which are diary entries. None of them may
    # speak below WARNING, whatever level the operator picks.
    for noisy in (
        "httpx",
        "httpcore",
        "aiosqlite",
        "asyncpg",
        "telegram.Bot",
        "telegram.ext.ExtBot",
        "telegram.ext.Updater",
        "apscheduler",
        "alembic.runtime.plugins",
        # Webhook mode's HTTP server: start/stop chatter (gutback logs its own lines); errors stay.
        "uvicorn",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # PTB's application logs every update it processes at DEBUG, with the person's text in it.
    logging.getLogger("telegram").setLevel(max(logging.INFO, root.level))
