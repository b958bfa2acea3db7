"""A warning sign is answered before the database is touched.

Every typed message (and ``/log``, a caption, an edit) is screened here first. When the screen
finds a definite sign (:func:`bot.safety.conversation.answers_at_once`: a warning sign, or a
message in another language, that needs nothing stored to be answered), its answer goes out at
once, in the same words the conversation rules use: crisis and emergency both, the words for a
helper when the sign is someone else's, the "English only for now" notice with its buttons.
Then the message takes its normal path in one transaction, which records the event and notes a
diary line as usual but is told that the answer was said (it is never said twice). A slow,
hung or failing database only delays that storage, never the answer.

Questions the bot would ask (their buttons name a stored row) and replies to an open question
("yes", "no, but...") need the database to be understood; they keep happening inside the
transaction.

The region's numbers depend on the person's timezone. It is remembered here whenever the front
door loads the person; a process that has not seen them yet looks it up with a short wait
(:data:`LOOKUP_WAIT`), and past that answers with the general numbers (as it would for someone
who gave no timezone) while the look-up finishes in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import datetime

from bot.chat.messenger import DeliveryError, Sender
from bot.delivery.postman import Postman
from bot.people.users import find_user
from bot.safety import conversation
from bot.safety.conversation import FirstLook
from bot.safety.screen import screen
from bot.store.db import Sessions

log = logging.getLogger(__name__)

#: Seconds to wait for the person's timezone when this process has not seen them yet.
LOOKUP_WAIT = 0.5
#: People whose timezone is remembered (most recent first out last); a few hundred KiB at most.
REMEMBERED = 20_000
#: Update ids answered here lately: a copy Telegram delivers again is not answered again.
RECENT_UPDATES = 4096


class WarningFirst:
    """Screens a message before any database work and answers a definite sign at once."""

    def __init__(self, sessions: Sessions, postman: Postman) -> None:
        self.sessions = sessions
        self.postman = postman
        self._zones: OrderedDict[int, str | None] = OrderedDict()
        self._answered: OrderedDict[int, FirstLook] = OrderedDict()
        self._lookups: set[asyncio.Task[None]] = set()

    def remember(self, platform_id: int, timezone: str | None) -> None:
        """The person's timezone as the database has it (called whenever they are loaded)."""
        self._zones[platform_id] = timezone
        self._zones.move_to_end(platform_id)
        while len(self._zones) > REMEMBERED:
            self._zones.popitem(last=False)

    async def answer(
        self, sender: Sender, text: str, now: datetime, *, update_id: int | None
    ) -> FirstLook:
        """Screen the message, and say a definite sign's answer now (``answered``).

        A redelivered copy of an update answered here is answered as before: not at all (the
        transaction drops it by its id).
        """
        if update_id is not None and update_id in self._answered:
            return self._answered[update_id]
        screening = screen(text)
        if not conversation.answers_at_once(text, screening, now):
            return FirstLook(screening)
        zone = await self._zone(sender.platform_id)
        outbox = conversation.immediate_reply(screening, zone)
        try:
            await self.postman.deliver(sender.chat_id, outbox)
        except DeliveryError as error:
            # Not said: the transaction's path says it (and the adapter's error reply, if that
            # fails too). Never lost, at worst said by the normal path a moment later.
            log.warning("early warning-sign answer not sent", extra={"error": type(error).__name__})
            return FirstLook(screening)
        early = FirstLook(screening, True, conversation.immediate_is_final(screening))
        if update_id is not None:
            self._answered[update_id] = early
            while len(self._answered) > RECENT_UPDATES:
                self._answered.popitem(last=False)
        log.info("warning sign answered before storage", extra={"update_id": update_id})
        return early

    async def _zone(self, platform_id: int) -> str | None:
        if platform_id in self._zones:
            return self._zones[platform_id]
        lookup = asyncio.create_task(self._look_up(platform_id))
        self._lookups.add(lookup)
        lookup.add_done_callback(self._lookups.discard)
        # Not wait_for: cancelling a statement mid-flight would cost the connection; a slow
        # look-up finishes in the background and fills the memory for the next message.
        await asyncio.wait({lookup}, timeout=LOOKUP_WAIT)
        return self._zones.get(platform_id)

    async def _look_up(self, platform_id: int) -> None:
        try:
            async with self.sessions() as session:
                user = await find_user(session, platform_id)
        except Exception as error:
            log.info("timezone look-up failed", extra={"error": type(error).__name__})
            return
        if user is not None:
            self.remember(platform_id, user.timezone)
