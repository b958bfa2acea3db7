"""``gutback chat`` as a person meets it: a real process on a pipe or a terminal (pty).

Ctrl-C and Ctrl-D end it at once with no traceback, it starts without log lines, the scheduler
delivers a check-in that falls due while nobody types, and files land in ``gutback-files/``
under new names with their full path printed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import select
import signal
import subprocess
import sys
import termios
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select
from sqlalchemy import update

from bot.store.db import make_engine, make_sessions
from bot.store.models import Schedule, User
from tests.support import add_logs
from tests.unit.gutback.test_cli import clean_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pty and signals are POSIX")

TIMEOUT = 30.0


def chat_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(tmp_path, PYTHONIOENCODING="utf-8", GUTBACK_SWEEP_SECONDS="0.2", **extra)


class Chat:
    """``python -m gutback chat`` on pipes, its output collected as it comes."""

    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gutback", "chat"],
            cwd=tmp_path,
            env=env or chat_env(tmp_path),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.out, self.err = bytearray(), bytearray()
        self._readers = [
            threading.Thread(target=self._collect, args=(stream, into), daemon=True)
            for stream, into in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(stream: io.BufferedReader, into: bytearray) -> None:
        while chunk := stream.read1(65536):
            into.extend(chunk)

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8", errors="replace")

    def wait_for(self, pattern: str, after: int = 0, timeout: float = TIMEOUT) -> int:
        """Wait until ``pattern`` (a regex) shows in the output after ``after``; its end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.stdout[after:])
            if found:
                return after + found.end()
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        shown = f"{self.stdout[after:]}\n--- stderr\n{self.stderr}"
        raise AssertionError(f"{pattern!r} not in the chat's output:\n{shown}")

    def say(self, line: str, expect: str) -> int:
        """Type a line and wait for the answer; each answer ends with the prompt again."""
        start = len(self.stdout)
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        return self.wait_for(expect, start)

    def close_input(self) -> int:
        """Ctrl-D on a pipe: the end of input."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.finish()

    def finish(self, timeout: float = TIMEOUT) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"the chat did not end:\n{self.stdout}\n{self.stderr}") from None
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def chats(tmp_path: Path):
    started: list[Chat] = []

    def start(env: dict[str, str] | None = None) -> Chat:
        chat = Chat(tmp_path, env)
        started.append(chat)
        return chat

    yield start
    for chat in started:
        chat.kill()


def set_up(chat: Chat) -> None:
    chat.wait_for(r"> ")
    chat.say("/start", r"\(a\) I agree")
    chat.say("a", "Step 1 of 2")
    chat.say("Berlin", r"\(a\) 08:00 and 20:00")
    chat.say("a", r"All set!.*\n(.*\n)*> ")


def database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'gutback-chat.db'}"


async def _run_on(url: str, work) -> object:
    engine = make_engine(url)
    try:
        return await work(make_sessions(engine))
    finally:
        await engine.dispose()


def on_database(tmp_path: Path, work) -> object:
    """Change the chat's database from outside, as a second process would."""
    return asyncio.run(_run_on(database(tmp_path), work))


# --- quitting ----------------------------------------------------------------------------------


def test_ctrl_d_quits_at_once_with_no_log_lines(tmp_path: Path, chats) -> None:
    chat = chats()
    chat.wait_for(r"type /start to begin.*\n> ")
    chat.say("/start", "I agree")
    started = time.monotonic()
    assert chat.close_input() == 0
    assert time.monotonic() - started < 10
    assert "Bye!" in chat.stdout
    # No Alembic "Context impl" / "Will assume" lines, no INFO at all, no traceback.
    assert chat.stderr == ""


def test_ctrl_c_on_a_pipe_quits_while_waiting_for_input(tmp_path: Path, chats) -> None:
    chat = chats()
    chat.wait_for(r"\n> ")
    started = time.monotonic()
    chat.process.send_signal(signal.SIGINT)
    assert chat.finish() == 0
    assert time.monotonic() - started < 10
    assert "Traceback" not in chat.stderr and "KeyboardInterrupt" not in chat.stderr
    assert "Bye!" in chat.stdout


_ON_A_TERMINAL = """
import fcntl, os, sys, termios
os.setsid()
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
os.execv(sys.executable, [sys.executable, "-m", "gutback", "chat"])
"""


class Terminal:
    """``gutback chat`` with a pty as its controlling terminal: Ctrl-C is the tty's own SIGINT."""

    def __init__(self, tmp_path: Path) -> None:
        self.master, slave = os.openpty()
        self.modes = termios.tcgetattr(slave)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ON_A_TERMINAL],
            cwd=tmp_path,
            env=chat_env(tmp_path),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            close_fds=True,
        )
        self.slave = slave
        self.seen = b""

    def read_until(self, needle: bytes, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not seen; the terminal shows:\n{self.text}")
            if not self._read(0.1):
                break
        if needle not in self.seen:
            raise AssertionError(f"{needle!r} not seen; the terminal shows:\n{self.text}")

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        if self.process.poll() is None:
            self.process.kill()
            raise AssertionError(f"the chat did not end; the terminal shows:\n{self.text}")
        while self._read(0.05) and select.select([self.master], [], [], 0)[0]:
            pass
        return self.process.returncode

    @property
    def text(self) -> str:
        return self.seen.decode("utf-8", errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.mark.parametrize(("keys", "name"), [(b"\x03", "Ctrl-C"), (b"\x04", "Ctrl-D")])
def test_on_a_terminal_ctrl_c_and_ctrl_d_quit_cleanly(
    tmp_path: Path, keys: bytes, name: str
) -> None:
    terminal = Terminal(tmp_path)
    try:
        terminal.read_until(b"\n> ")
        terminal.type(b"/help\n")
        terminal.read_until(b"Here's what I can do")
        terminal.read_until(b"\n> ")
        started = time.monotonic()
        terminal.type(keys)
        assert terminal.finish() == 0, name
        assert time.monotonic() - started < 10, name
        assert "Traceback" not in terminal.text and "KeyboardInterrupt" not in terminal.text
        assert "Bye!" in terminal.text
        assert "INFO" not in terminal.text
        # The terminal is left as it was found (echo and line editing on).
        assert termios.tcgetattr(terminal.slave)[3] == terminal.modes[3]
    finally:
        terminal.close()


# --- the scheduler -----------------------------------------------------------------------------


def test_a_check_in_that_falls_due_arrives_while_nobody_types(tmp_path: Path, chats) -> None:
    chat = chats()
    set_up(chat)
    idle_from = len(chat.stdout)

    async def due_in_two_seconds(sessions) -> None:
        async with sessions() as session, session.begin():
            await session.execute(
                update(Schedule)
                .where(Schedule.kind == "checkin", Schedule.slot == 0)
                .values(next_due_at=datetime.now(UTC) + timedelta(seconds=2))
            )

    on_database(tmp_path, due_in_two_seconds)
    # Nothing typed since: only the background sweep can bring it.
    chat.wait_for(r"(?i)check-in|back pain", idle_from, timeout=20)
    assert chat.stdout.rstrip().endswith(">")  # and the prompt is back under it
    assert chat.close_input() == 0


# --- files -------------------------------------------------------------------------------------


def saved_paths(output: str) -> list[Path]:
    return [Path(found) for found in re.findall(r"saved as (/\S+)\]", output)]


def test_files_go_to_gutback_files_under_new_names_with_their_full_path(
    tmp_path: Path, chats
) -> None:
    (tmp_path / "gutback-diary.csv").write_text("my own file\n")
    chat = chats()
    set_up(chat)

    async def two_days_of_pain(sessions) -> None:
        async with sessions() as session:
            user_id = await session.scalar(sql_select(User.id))
        today = date.today()
        await add_logs(sessions, user_id, {today - timedelta(days=1): 6, today: 4})

    on_database(tmp_path, two_days_of_pain)
    folder = (tmp_path / "gutback-files").resolve()

    start = len(chat.stdout)
    chat.say("/export", r"gutback-data-\S+\.json\]")
    first = saved_paths(chat.stdout[start:])
    start = len(chat.stdout)
    chat.say("/export", r"gutback-data-\S+\.json\]")
    second = saved_paths(chat.stdout[start:])
    start = len(chat.stdout)
    chat.say("/report", r"\.pdf\]")
    report = saved_paths(chat.stdout[start:])
    start = len(chat.stdout)
    chat.say("/recap", r"picture saved as \S+\.png\]")
    chart = saved_paths(chat.stdout[start:])
    assert chat.close_input() == 0

    today = date.today().isoformat()
    assert [p.name for p in first] == [f"gutback-diary-{today}.csv", f"gutback-data-{today}.json"]
    assert [p.name for p in second] == [
        f"gutback-diary-{today}-2.csv",
        f"gutback-data-{today}-2.json",
    ]
    assert len(report) == 1 and report[0].suffix == ".pdf"
    assert len(chart) == 1 and chart[0].suffix == ".png"
    for path in first + second + report + chart:
        assert path.is_absolute() and path.parent == folder and path.is_file()
    rows = list(csv.reader(io.StringIO(first[0].read_text())))
    assert rows[0][0] == "date" and len(rows) == 3
    assert report[0].read_bytes().startswith(b"%PDF")
    assert chart[0].read_bytes().startswith(b"\x89PNG")
    # The working folder's own file is untouched.
    assert (tmp_path / "gutback-diary.csv").read_text() == "my own file\n"


def test_the_files_folder_is_git_ignored() -> None:
    ignored = (Path(__file__).resolve().parents[3] / ".gitignore").read_text().splitlines()
    assert "gutback-files/" in ignored


# --- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["run"], ["chat"], ["migrate"], ["set-webhook"]])
def test_help_shows_no_markup(tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gutback", *args, "--help"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "``" not in result.stdout and "`" not in result.stdout
    assert ":func:" not in result.stdout
