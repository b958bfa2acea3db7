"""``gutback chat``: the same core in a terminal, so anyone can try the bot without a token.

Buttons are shown with letters; type the letter to press one. Everything else you type is sent as
a message, and ``/commands`` work as in Telegram.
"""

from __future__ import annotations

import asyncio
import os
import string
import sys
from pathlib import Path
from typing import TextIO

from bot.app.core import GutBack
from bot.base.clock import SystemClock
from bot.base.config import Settings
from bot.chat.messenger import NO_BUTTONS, Keyboard, Sender
from bot.delivery.sweep import Sweeper
from bot.store.db import make_engine, make_sessions, migrate

LOCAL_USER = Sender(platform_id=1, chat_id=1, first_name=None, language_code=None)
CHAT_DATABASE = "sqlite+aiosqlite:///gutback-chat.db"


class TerminalMessenger:
    """Prints messages; remembers the newest buttons so a typed letter can press one."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.next_id = 1
        self.buttons: dict[str, tuple[int, str]] = {}

    async def send(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard = NO_BUTTONS,
        *,
        ask_location: str | None = None,
        clear_reply_keyboard: bool = False,
    ) -> int:
        message_id = self.next_id
        self.next_id += 1
        self._show(message_id, text, buttons)
        return message_id

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        self._show(message_id, text, buttons, edited=True)

    async def send_photo(self, chat_id: int, png: bytes, caption: str) -> int:
        return await self.send(chat_id, f"[picture, {len(png)} bytes] {caption}")

    async def send_file(self, chat_id: int, filename: str, data: bytes, caption: str) -> int:
        await asyncio.to_thread(Path(filename).write_bytes, data)
        return await self.send(chat_id, f"[file saved as {filename}] {caption}")

    def _show(self, message_id: int, text: str, buttons: Keyboard, edited: bool = False) -> None:
        print(("\n(updated) " if edited else "\n") + text, file=self.out)
        if buttons:
            self.buttons = {}
            letters = iter(string.ascii_lowercase)
            for row in buttons:
                cells = []
                for button in row:
                    letter = next(letters)
                    self.buttons[letter] = (message_id, button.data)
                    cells.append(f"({letter}) {button.label}")
                print("   " + "   ".join(cells), file=self.out)
        self.out.flush()


async def run_chat(settings: Settings) -> None:
    url = settings.database_url if "DATABASE_URL" in os.environ else CHAT_DATABASE
    if url.startswith("sqlite"):
        await migrate(url)
    engine = make_engine(url)
    messenger = TerminalMessenger()
    clock = SystemClock()
    core = GutBack(make_sessions(engine), messenger, clock)
    sweeper = Sweeper(make_sessions(engine), messenger, clock)
    print("gutback chat: type /start to begin, a letter to press a button, Ctrl-D to quit.")
    try:
        while True:
            await sweeper.run_once()
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if line in messenger.buttons:
                message_id, data = messenger.buttons[line]
                notice = await core.on_button(LOCAL_USER, message_id, data)
                if notice:
                    print(f"  [{notice}]")
            elif line.startswith("/"):
                name, _, args = line[1:].partition(" ")
                await core.on_command(LOCAL_USER, name, args)
            else:
                await core.on_text(LOCAL_USER, line)
    finally:
        await engine.dispose()
