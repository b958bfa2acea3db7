"""The weekly recap that comes by itself: the message the sweep sends.

The sweep claims a due recap exactly like a check-in (:func:`bot.delivery.claims.take_due` and
:func:`bot.delivery.claims.insert_claims`) and commits that before calling :func:`build_recap`,
which reads the numbers in a session of its own and draws the chart in a worker thread, so
neither the claim's locks nor the event loop wait for matplotlib.
"""

from __future__ import annotations

import asyncio
from datetime import date

from bot.chat.outbox import SendPhoto
from bot.insights.recap import chart_caption, format_weekly, read_recap, render_chart
from bot.store.db import Sessions
from bot.store.models import User


async def build_recap(
    sessions: Sessions, user_id: int, day: date
) -> tuple[str, SendPhoto | None] | None:
    """The weekly recap of the week ending local ``day``: its text and, if there is one, chart.

    The person is read again here: between the claim and now they may have erased everything
    or withdrawn consent, and then nothing is sent (``None``). A quiet week gets a short kind
    text and no chart.
    """
    async with sessions() as session:
        user = await session.get(User, user_id)
        if user is None or user.consented_at is None or user.timezone is None:
            return None
        recap, data = await read_recap(session, user, day)
    text = format_weekly(recap)
    if recap.is_quiet or data is None:
        return text, None
    png = await asyncio.to_thread(render_chart, data)
    return text, SendPhoto(png, chart_caption())
