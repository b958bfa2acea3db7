"""Walking an exception's chain: the one traversal the log redaction and the outage check share."""

from __future__ import annotations

from collections.abc import Iterator

#: A chain longer than this is cut short (a cycle is cut anyway: each exception comes once).
MAX_CHAIN = 20


def chained(error: BaseException, *, with_orig: bool = False) -> Iterator[BaseException]:
    """``error``, then its causes and contexts, each once; ``with_orig`` adds a wrapper's
    ``.orig`` (SQLAlchemy wraps the driver's error there, not always as the cause)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen or len(seen) > MAX_CHAIN:
            continue
        seen.add(id(current))
        yield current
        pending.extend((current.__cause__, current.__context__))
        if with_orig:
            pending.append(getattr(current, "orig", None))
