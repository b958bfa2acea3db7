"""``gutback chat``: the same core in a terminal, so anyone can try the bot without a token.

Buttons are shown with letters; type the letter to press one. Everything else you type is sent as
a message, and ``/commands`` work as in Telegram. The scheduler runs as it does for the Telegram
bot (a sweep every ``GUTBACK_SWEEP_SECONDS``), in the same event loop as the keyboard, so a
check-in that falls due arrives while you are not typing. Files the bot sends (the ``/report``
PDF, the ``/export`` files, the recap's chart) are saved in ``gutback-files/`` under new names,
and their full path is printed. Ctrl-D or Ctrl-C quits.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import signal
import string
import sys
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from bot.app.core import GutBack
from bot.base.clock import SystemClock
from bot.base.config import Settings
from bot.base.wording import t
from bot.chat.messenger import NO_BUTTONS, Keyboard, Sender
from bot.delivery.sweep import Sweeper
from bot.store.db import make_engine, make_sessions, migrate

log = logging.getLogger(__name__)

LOCAL_USER = Sender(platform_id=1, chat_id=1, first_name=None, language_code=None)
CHAT_DATABASE = "sqlite+aiosqlite:///gutback-chat.db"
#: Where files the bot sends are saved, under the working folder (git-ignored).
FILES_FOLDER = "gutback-files"
CHART_NAME = "gutback-chart.png"
#: How long quitting waits for a sweep under way to finish.
SWEEP_FINISH_SECONDS = 5.0


def save_file(folder: Path, filename: str, data: bytes, today: date) -> Path:
    """Write ``data`` to a new file in ``folder`` and return its full path; never overwrites.

    ``gutback-diary.csv`` becomes ``gutback-diary-2026-01-12.csv``, then ``...-2.csv`` and so
    on for more copies that day. Only the name's last part is used, so no name leaves the folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(filename).name or "gutback-file"
    stem, suffix = Path(name).stem, Path(name).suffix
    copy = 1
    while True:
        numbered = "" if copy == 1 else f"-{copy}"
        path = folder / f"{stem}-{today.isoformat()}{numbered}{suffix}"
        try:
            with path.open("xb") as handle:
                handle.write(data)
        except FileExistsError:
            copy += 1
            continue
        return path.resolve()


class TerminalMessenger:
    """Prints messages; remembers the newest buttons so a typed letter can press one."""

    def __init__(self, out: TextIO = sys.stdout, files: Path | None = None) -> None:
        self.out = out
        self.files = files if files is not None else Path.cwd() / FILES_FOLDER
        self.next_id = 1
        self.buttons: dict[str, tuple[int, str]] = {}
        #: True while the chat waits for a line: output then ends with the prompt again.
        self.waiting = False

    async def send(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard = NO_BUTTONS,
        *,
        ask_location: str | None = None,
        clear_reply_keyboard: bool = False,
        silent: bool = False,
    ) -> int:
        message_id = self.next_id
        self.next_id += 1
        self._show(message_id, text, buttons)
        return message_id

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        self._show(message_id, text, buttons, edited=True)

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, *, silent: bool = False
    ) -> int:
        path = await asyncio.to_thread(save_file, self.files, CHART_NAME, png, date.today())
        return await self.send(chat_id, f"{t('chat_picture_saved', path=path)}\n{caption}")

    async def send_file(self, chat_id: int, filename: str, data: bytes, caption: str) -> int:
        path = await asyncio.to_thread(save_file, self.files, filename, data, date.today())
        return await self.send(chat_id, f"{t('chat_file_saved', path=path)}\n{caption}")

    def prompt(self) -> None:
        print("> ", end="", file=self.out, flush=True)

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
        if self.waiting:
            self.prompt()
        self.out.flush()


class LineReader:
    """Lines typed on stdin, handed to the event loop without blocking it.

    On a terminal or a pipe the loop watches the file descriptor itself, so nothing is left
    blocked in a thread when the chat ends (a thread stuck in ``input()`` is what made Ctrl-C
    hang). Where the loop cannot watch stdin (a regular file, Windows), a daemon thread reads.
    """

    def __init__(self, stream: TextIO = sys.stdin) -> None:
        self.stream = stream
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            fd = self.stream.fileno()
            self._loop.add_reader(fd, self._readable, fd)
        except (AttributeError, NotImplementedError, OSError, ValueError):
            threading.Thread(target=self._read_in_thread, name="chat-input", daemon=True).start()
            return
        self._fd = fd

    def close(self) -> None:
        if self._fd is not None and self._loop is not None:
            self._loop.remove_reader(self._fd)
            self._fd = None

    async def readline(self) -> str | None:
        """The next line, or ``None`` at the end of input (Ctrl-D)."""
        return await self.lines.get()

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.close()
            self._feed(self._decoder.decode(b"", final=True), end=True)
            return
        self._feed(self._decoder.decode(data))

    def _feed(self, text: str, *, end: bool = False) -> None:
        *complete, self._partial = (self._partial + text).split("\n")
        for line in complete:
            self.lines.put_nowait(line.rstrip("\r"))
        if end:
            if self._partial:
                self.lines.put_nowait(self._partial)
                self._partial = ""
            self.lines.put_nowait(None)

    def _read_in_thread(self) -> None:
        assert self._loop is not None
        for line in self.stream:
            self._loop.call_soon_threadsafe(self.lines.put_nowait, line.rstrip("\r\n"))
        self._loop.call_soon_threadsafe(self.lines.put_nowait, None)


async def sweep_until(stop: asyncio.Event, sweeper: Sweeper, every: float) -> None:
    """The scheduler: a sweep now and every ``every`` seconds until ``stop``; errors are logged.

    A sweep under way when the chat ends is finished, not cut off halfway through a send.
    """
    while not stop.is_set():
        try:
            await sweeper.run_once()
        except Exception:
            log.exception("sweep failed; trying again at the next one")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def _on_interrupt(stop: asyncio.Event, main: asyncio.Task[None]) -> Callable[[], None]:
    """Ctrl-C: finish what is being answered, then quit; a second Ctrl-C quits at once."""

    def interrupted() -> None:
        if stop.is_set():
            main.cancel()
        stop.set()

    return interrupted


async def run_chat(settings: Settings, *, out: TextIO = sys.stdout) -> None:
    url = settings.database_url if "DATABASE_URL" in os.environ else CHAT_DATABASE
    if url.startswith("sqlite"):
        await migrate(url)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    messenger = TerminalMessenger(out)
    clock = SystemClock()
    core = GutBack(sessions, messenger, clock)
    sweeper = Sweeper(sessions, messenger, clock, grace=timedelta(hours=settings.grace_hours))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main = asyncio.current_task()
    assert main is not None
    handles_sigint = True
    try:
        loop.add_signal_handler(signal.SIGINT, _on_interrupt(stop, main))
    except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt, caught by the CLI
        handles_sigint = False
    reader = LineReader()
    reader.start()
    print(t("chat_banner"), file=out)
    scheduler = asyncio.create_task(sweep_until(stop, sweeper, settings.sweep_seconds))
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            messenger.waiting = True
            messenger.prompt()
            reading = asyncio.ensure_future(reader.readline())
            await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            messenger.waiting = False
            if not reading.done():
                reading.cancel()
                break
            line = reading.result()
            if line is None:
                break
            try:
                await _handle(core, messenger, line.strip(), out)
            except Exception:
                log.exception("a chat line failed")
                print("\n" + t("error_try_again"), file=out)
    finally:
        messenger.waiting = False
        reader.close()
        if handles_sigint:
            loop.remove_signal_handler(signal.SIGINT)
        stop.set()
        await asyncio.wait({scheduler}, timeout=SWEEP_FINISH_SECONDS)
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:  # the scheduler, a breathing break, a half-read line
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await engine.dispose()
        print("\n" + t("chat_bye"), file=out, flush=True)


async def _handle(core: GutBack, messenger: TerminalMessenger, line: str, out: TextIO) -> None:
    if not line:
        return
    if line in messenger.buttons:
        message_id, data = messenger.buttons[line]
        notice = await core.on_button(LOCAL_USER, message_id, data)
        if notice:
            print(f"  [{notice}]", file=out)
    elif line.startswith("/"):
        name, _, args = line[1:].partition(" ")
        await core.on_command(LOCAL_USER, name, args)
    else:
        await core.on_text(LOCAL_USER, line)


def quiet_logging(settings: Settings) -> None:
    """In a chat, log lines only for trouble, unless a level was asked for; never Alembic's."""
    from bot.base.logs import setup_logging

    setup_logging(settings.log_level if "log_level" in settings.model_fields_set else "WARNING")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def main(settings: Settings) -> int:
    """``gutback chat``; 0 when the person quits (Ctrl-D or Ctrl-C), with no traceback."""
    quiet_logging(settings)
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(run_chat(settings))
    return 0
