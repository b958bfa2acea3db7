"""Structured logging that is safe for health data.

Log records carry ids and counts in ``extra=`` fields, rendered as ``key=value``. Message text, food
lists and tokens never go into a record; the HTTP client's request logs are kept at WARNING so the
bot token inside Bot API URLs is never written out.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from bot.base.errors import chained

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if not fields:
            return base
        return base + " " + " ".join(f"{key}={value}" for key, value in sorted(fields.items()))


#: Modules whose exceptions may quote what was stored: a failed statement's parameters, or
#: PostgreSQL's DETAIL ("Key (platform_id)=(42) already exists", "Failing row contains (...)").
_DATABASE_MODULES = ("sqlalchemy", "asyncpg", "sqlite3", "aiosqlite")


class HiddenDatabaseError(Exception):
    """Stands in a log record for a database error whose message was withheld."""


def _from_database(error: BaseException) -> BaseException | None:
    """The first database error in ``error``'s chain (causes and contexts), if any."""
    return next(
        (e for e in chained(error) if type(e).__module__.split(".")[0] in _DATABASE_MODULES),
        None,
    )


def _described(error: BaseException) -> str:
    """What may be said of a database error: its kind and SQLSTATE code, never its text."""
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(error, "code", None)
    kinds = " from ".join(
        f"{type(e).__module__}.{type(e).__qualname__}" for e in (error, orig) if e is not None
    )
    return f"{kinds} (sqlstate={code}; message withheld: it may quote stored values)"


def redacted(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    """``exc_info`` for a log record: a database error is replaced by one that only names it.

    The traceback (where it happened) is kept; the messages of the whole chain are dropped,
    since SQLAlchemy and the drivers quote parameters and rows in them.
    """
    _, error, trace = exc_info
    found = _from_database(error)
    if found is None:
        return exc_info
    hidden = HiddenDatabaseError(_described(found))
    hidden.__traceback__ = trace
    hidden.__suppress_context__ = True
    return (HiddenDatabaseError, hidden, trace)


_installed = False


def install_log_redaction() -> None:
    """Every log record, by any logger at any level, carries database errors redacted.

    A record factory, not a formatter: records reach handlers gutback does not format (a test's
    capture, an operator's extra handler), and the exception travels with the record.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        info = record.exc_info
        if info and isinstance(info, tuple) and info[1] is not None:
            record.exc_info = redacted(info)  # type: ignore[arg-type]
            record.exc_text = None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def setup_logging(level: str = "INFO") -> None:
    install_log_redaction()
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
