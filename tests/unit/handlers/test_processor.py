"""The per-chat processor: chats side by side, each chat's updates in order, lanes tidied."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from handlers.processor import PerChatProcessor, lane_key


def update_in(chat_id: int, update_id: int) -> Update:
    chat = Chat(chat_id, "private")
    sender = User(chat_id, "Alex", is_bot=False)
    message = Message(update_id, None, chat, from_user=sender, text="hi")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_chat_in_order_while_another_chat_is_not_held_up() -> None:
    processor = PerChatProcessor(max_running=8)
    await processor.initialize()
    done: list[tuple[int, int]] = []
    slow_release = asyncio.Event()

    async def handle(chat_id: int, n: int, slow: bool = False) -> None:
        if slow:
            await slow_release.wait()  # A's first update waits for its send pacing
        done.append((chat_id, n))

    a = [
        asyncio.create_task(processor.process_update(update_in(1, n), handle(1, n, slow=(n == 0))))
        for n in range(5)
    ]
    await asyncio.sleep(0)
    b = asyncio.create_task(processor.process_update(update_in(2, 99), handle(2, 99)))
    await asyncio.wait_for(b, 1)
    # B was handled while A's first update was still waiting, and none of A's overtook it.
    assert done == [(2, 99)]
    slow_release.set()
    await asyncio.gather(*a)
    assert [n for chat, n in done if chat == 1] == [0, 1, 2, 3, 4]
    assert processor.lanes == 0  # idle chats keep no lane


async def test_a_chat_with_many_queued_updates_holds_no_running_slots() -> None:
    """With PTB's own semaphore taken first, 300 queued updates of one chat stalled everyone."""
    processor = PerChatProcessor(max_running=2, max_admitted=1000)
    await processor.initialize()
    gate = asyncio.Event()

    async def wait_for_gate() -> None:
        await gate.wait()

    async def nothing() -> None:
        return None

    queued = [
        asyncio.create_task(processor.process_update(update_in(1, n), wait_for_gate()))
        for n in range(300)
    ]
    await asyncio.sleep(0)
    await asyncio.wait_for(processor.process_update(update_in(2, 1000), nothing()), 1)
    gate.set()
    await asyncio.gather(*queued)


async def test_running_updates_are_bounded() -> None:
    processor = PerChatProcessor(max_running=3)
    await processor.initialize()
    running = 0
    most = 0

    async def work() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1

    await asyncio.gather(
        *(processor.process_update(update_in(chat, chat), work()) for chat in range(1, 20))
    )
    assert most == 3


def test_updates_without_a_chat_or_person_have_no_lane() -> None:
    assert lane_key(Update(5)) is None
    assert lane_key(update_in(7, 1)) == ("chat", 7)
