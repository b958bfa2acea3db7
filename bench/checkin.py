"""One full scheduled check-in through the real PTB Application: messages, buzzes, API calls, taps.

Run: ``/work/venv/bin/python bench/checkin.py [--baseline-ref main]``.

A person set up with one daily check-in (20:00 in Berlin, so it asks everything, plus the weekly
warning-sign screen a new diary gets) receives it from the real sweep, and answers each question
with one tap (pain 5, digestion "None of these", Bristol 4, food "None of these", stress 2, sleep
4, screen "None of these"), pressing the buttons of the message their client shows, as Telegram
would deliver the presses. Printed: messages sent, notifications (sends without
``disable_notification``), Bot API calls (getUpdates and start-up calls not counted), taps and
questions answered. Targets: 1 notification, at most 2 messages, taps = questions answered.

``--baseline-ref`` runs the same script on another git revision (``git archive`` into a
temporary folder, this script and its fake transport copied in), so the figures before and
after a change come from one run on one machine. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from telegram import Update
from updates import build_gutback, press_update, running

from bot.base.clock import FrozenClock
from bot.people.schedules import set_checkin_times
from bot.store.db import migrate
from bot.store.models import Answer, User
from handlers.app import runtime_of

UID = 424242
ZONE = "Europe/Berlin"
SET_UP = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 1, 12, 19, 0, tzinfo=UTC)  # 20:00 in Berlin
#: The one tap per question: (question id, button value).
TAPS = {
    "pain": "5",
    "digestion": "none",
    "bristol": "4",
    "food": "none",
    "stress": "2",
    "sleep": "4",
    "screen": "none",
}
NOT_COUNTED = {"getUpdates", "getMe", "setMyCommands", "deleteWebhook"}
HERE = Path(__file__).resolve().parent


def checkin_buttons(message: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(question, value) -> callback data of the check-in buttons on a message."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    found = {}
    for row in rows:
        for button in row:
            data = button.get("callback_data", "")
            parts = data.split(":")
            if len(parts) == 4 and parts[0] == "c":
                found[(parts[2], parts[3])] = data
    return found


async def one_checkin() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gutback-checkin-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate(url)
        clock = FrozenClock(SET_UP)
        app, transport = build_gutback(url, clock)
        async with running(app):
            runtime = runtime_of(app)
            async with runtime.core.sessions() as session, session.begin():
                user = User(
                    platform_id=UID,
                    chat_id=UID,
                    onboarding_step="done",
                    consented_at=SET_UP,
                    timezone=ZONE,
                    active=True,
                    paused=False,
                    created_at=SET_UP,
                    updated_at=SET_UP,
                )
                session.add(user)
                await session.flush()
                await set_checkin_times(session, user, [time(20, 0)], SET_UP)
            for _ in range(100):  # the start-up sweep, before anything is counted
                if runtime.sweeper.last_finished_count:
                    break
                await asyncio.sleep(0.05)
            calls_before = sum(n for m, n in transport.calls.items() if m not in NOT_COUNTED)
            sends_before = len(transport.sends)
            clock.set(DUE)
            await runtime.sweeper.run_once()
            taps, update_id = 0, 1_000
            while taps < 40:
                message = transport.latest.get(UID)
                buttons = checkin_buttons(message or {})
                wanted = [data for (q, v), data in buttons.items() if TAPS.get(q) == v]
                if not wanted:
                    break
                update_id += 1
                payload = press_update(update_id, UID, message, wanted[0])
                await app.process_update(Update.de_json(payload, app.bot))
                taps += 1
            async with runtime.core.sessions() as session:
                answered = await session.scalar(select(func.count()).select_from(Answer))
        sends = transport.sends[sends_before:]
        calls = sum(n for m, n in transport.calls.items() if m not in NOT_COUNTED)
        return {
            "messages": len(sends),
            "notifications": sum(1 for _, silent in sends if not silent),
            "api_calls": calls - calls_before,
            "taps": taps,
            "answered": int(answered or 0),
        }


def baseline(ref: str) -> dict[str, Any] | None:
    """The same check-in on ``ref``'s code, in a subprocess; ``None`` if it cannot run there."""
    root = Path(
        subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory(prefix="gutback-baseline-") as tmp:
        archive = subprocess.run(
            ["git", "archive", ref], cwd=root, capture_output=True, check=False
        )
        if archive.returncode != 0:
            return None
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        for name in ("checkin.py", "_fake_transport.py"):
            shutil.copy(HERE / name, Path(tmp) / "bench" / name)
        env = {**os.environ, "PYTHONPATH": tmp}
        run = subprocess.run(
            [sys.executable, str(Path(tmp) / "bench" / "checkin.py"), "--json"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode not in (0, 1) or not run.stdout.strip():
            print(f"baseline on {ref} did not run: {run.stderr.strip()[-300:]}")
            return None
        return json.loads(run.stdout.strip().splitlines()[-1])


def show(label: str, figures: dict[str, Any]) -> None:
    print(
        f"{label:<12} messages sent {figures['messages']}, notifications "
        f"{figures['notifications']}, Bot API calls {figures['api_calls']}, taps "
        f"{figures['taps']}, questions answered {figures['answered']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-ref", default="main", help="git revision to compare with")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    figures = asyncio.run(one_checkin())
    if args.json:
        print(json.dumps(figures))
        return 0
    print("one full scheduled check-in (7 questions, one tap each), real Application, fake Bot API")
    if not args.no_baseline:
        before = baseline(args.baseline_ref)
        if before is not None:
            show(f"{args.baseline_ref}:", before)
    show("this tree:", figures)
    met = (
        figures["notifications"] == 1
        and figures["messages"] <= 2
        and figures["taps"] == figures["answered"]
    )
    print(
        "targets (1 notification, at most 2 messages, taps = questions answered): "
        + ("met" if met else "NOT met")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
