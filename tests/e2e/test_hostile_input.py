"""Odd and hostile input gets a clear reply and crashes nothing (issue 15, list 4).

Each case here used to raise inside a handler (the person got "something went wrong" or
nothing): superscript digits pass ``str.isdigit()`` and fail ``int()``; a 40-digit id overflows
a 64-bit column; non-string or broken button data raised; U+0000 and lone surrogates made
PostgreSQL refuse the diary line every time it was sent.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.base.wording import t
from bot.store.models import LogEntry, User
from tests.e2e.conftest import Harness

ALEX = 1001


def no_error_replies(harness: Harness) -> bool:
    return not any(t("error_try_again") in (m.text or "") for m in harness.fake.messages(ALEX))


async def test_superscript_digits_in_commands_get_the_usual_help(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/pause ²", "whole number from 1 to 90")
    await harness.say(ALEX, "/pause ٣", "whole number from 1 to 90")
    await harness.say(ALEX, "/report ²", "whole number")
    assert no_error_replies(harness)


async def test_a_superscript_typed_as_a_check_in_answer_is_not_a_crash(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/checkin", "How is your back pain")
    harness.fake.user_sends_text(ALEX, "²")
    await harness.fake.wait_for_message(ALEX)
    # The check-in still takes a real answer afterwards.
    await harness.say(ALEX, "6", "")
    assert no_error_replies(harness)


async def test_forged_button_data_is_an_expired_button(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    question = await harness.say(ALEX, "/checkin", "How is your back pain")
    for data in (
        "c:²:pain:3",
        "c:" + "9" * 40 + ":pain:3",
        "c:1:pain:²",
        "undo:" + "1" * 40,
        "ask:²:y",
        "tz:Europe/Berlin\ud800",
    ):
        notice = await harness.press(ALEX, question.message_id, data)
        assert notice is not None and notice != t("error_try_again"), data
    assert no_error_replies(harness)


async def test_non_string_button_data_is_an_expired_button(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    question = await harness.say(ALEX, "/checkin", "How is your back pain")
    pressed = harness.fake.user_presses(ALEX, question.message_id, "c:1:pain:3")
    forged_ids = []
    for data in (12345, {"c": 1}, ["c:1:pain:3"]):
        forged_ids.append(f"forged-{len(forged_ids)}")
        harness.fake._unanswered.add(forged_ids[-1])  # Telegram would accept its answer
        forged = {**pressed["callback_query"], "id": forged_ids[-1], "data": data}
        harness.fake.send_raw({"callback_query": forged})

    def answered() -> list[str | None]:
        found = {a["callback_query_id"]: a.get("text") for a in harness.fake.callback_answers}
        return [found[i] for i in forged_ids] if all(i in found for i in forged_ids) else []

    notices = await harness.fake.wait_for(answered)
    assert notices == [t("button_expired")] * 3
    assert no_error_replies(harness)


async def test_an_update_from_an_id_too_large_for_the_database_is_dropped(
    harness: Harness,
) -> None:
    await harness.start()
    huge = 10**40
    forged = {
        "message_id": 1,
        "date": 1,
        "chat": {"id": huge, "type": "private"},
        "from": {"id": huge, "is_bot": False, "first_name": "X"},
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    harness.fake.send_raw({"message": forged})
    await harness.fake.wait_updates_consumed()
    await harness.say(ALEX, "/start", "I agree")  # everyone else is still answered
    assert await harness.count(User) == 1
    # Dropped before any database work: no failed insert, no "something went wrong" attempt.
    assert not [c for c in harness.fake.calls_to("sendMessage") if c.params["chat_id"] == huge]


async def test_nul_and_lone_surrogates_are_stripped_and_the_line_is_saved(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "pizza\x00 and a coke \ud83d, bloated, back 6/10", "Noted")
    rows = await harness.query(select(LogEntry.text))
    assert [text for (text,) in rows] == ["pizza and a coke , bloated, back 6/10"]
    assert no_error_replies(harness)
