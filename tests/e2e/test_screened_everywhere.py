"""Every text a person sends is screened: captions, edits; and every update kind is handled once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.base.wording import t
from bot.store.models import LogEntry, SafetyEvent
from tests.e2e.conftest import Harness

ALEX = 1001
CAUDA_EQUINA = "I can't feel anything when I wipe and I can't pee since this morning"


async def test_a_warning_sign_in_a_photo_caption_is_answered(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    harness.fake.user_sends_photo(ALEX, caption=CAUDA_EQUINA)
    answer = await harness.fake.wait_for_message(ALEX, "112")
    assert t("unsupported_media") not in (answer.text or "")

    async def recorded() -> bool:
        return bool(await harness.count(SafetyEvent))

    await harness.fake.wait_for(recorded)
    # An ordinary caption still hears that pictures are not read.
    harness.fake.user_sends_photo(ALEX, caption="my lunch")
    await harness.fake.wait_for_message(ALEX, t("unsupported_media"))


async def test_a_warning_sign_added_by_an_edit_is_answered(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    sent = harness.fake.user_sends_text(ALEX, "pizza for lunch, back 4/10")
    await harness.fake.wait_for_message(ALEX, "Noted")
    harness.fake.user_edits(ALEX, sent, "pizza for lunch, and " + CAUDA_EQUINA)
    answer = await harness.fake.wait_for_message(ALEX, "112")
    # An urgent answer stands alone: no word about the diary after it.
    await harness.say(ALEX, "/help", "")
    assert not any(t("edit_not_followed") in (m.text or "") for m in harness.fake.messages(ALEX))
    assert answer.text is not None


async def test_an_ordinary_edit_tells_why_the_diary_keeps_the_first_version(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    sent = harness.fake.user_sends_text(ALEX, "pizza for lunch, back 4/10")
    await harness.fake.wait_for_message(ALEX, "Noted")
    harness.fake.user_edits(ALEX, sent, "salad for lunch, back 4/10")
    await harness.fake.wait_for_message(ALEX, "Undo")
    assert [text for (text,) in await harness.query(select(LogEntry.text))] == [
        "pizza for lunch, back 4/10"
    ]


async def test_a_sticker_delivered_twice_is_answered_once(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    sticker = harness.fake.user_sends_sticker(ALEX)
    await harness.fake.wait_for_message(ALEX, t("unsupported_media"))
    await harness.fake.wait_updates_consumed()
    harness.fake.push_update(sticker)  # Telegram sends the same update again
    await harness.fake.wait_updates_consumed()
    await harness.say(ALEX, "/help", "")  # handled after the copy, in this chat's order
    said = [m for m in harness.fake.messages(ALEX) if m.text == t("unsupported_media")]
    assert len(said) == 1


async def test_a_group_message_delivered_twice_is_answered_once(harness: Harness) -> None:
    await harness.start()
    group = -4242
    message = harness.fake.user_sends_in_group(ALEX, group, "hello")
    await harness.fake.wait_for_message(group, t("group_chat"))
    await harness.fake.wait_updates_consumed()
    harness.fake.push_update(message)
    await harness.fake.wait_updates_consumed()
    harness.fake.user_sends_in_group(ALEX, group, "hello again")
    await harness.fake.wait_for(lambda: len(harness.fake.messages(group)) >= 2)
    # The copy came before "hello again" in this chat's order: a reply to it would be here by
    # now (the same words each time, so nothing else tells the replies apart).
    await asyncio.sleep(1.0)
    assert len(harness.fake.messages(group)) == 2


async def test_a_warning_sign_delivered_twice_is_answered_once(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    update = harness.fake.user_sends_text(ALEX, CAUDA_EQUINA)
    await harness.fake.wait_for_message(ALEX, "112")
    await harness.fake.wait_updates_consumed()
    harness.fake.push_update(update)
    await harness.fake.wait_updates_consumed()
    await harness.say(ALEX, "/help", "")
    answers = [m for m in harness.fake.messages(ALEX) if "112" in (m.text or "")]
    assert len(answers) == 1


async def test_log_with_a_warning_sign_is_answered_once_and_recorded(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/log " + CAUDA_EQUINA, "112")

    async def recorded() -> bool:
        return bool(await harness.count(SafetyEvent))

    await harness.fake.wait_for(recorded)
    await harness.say(ALEX, "/help", "")
    assert len([m for m in harness.fake.messages(ALEX) if "112" in (m.text or "")]) == 1
