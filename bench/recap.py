"""Print how fast one recap's numbers are computed and one recap chart is drawn.

Run: ``python bench/recap.py [users]`` (default 10,000 users with 4 weeks of diary each, in a
temporary SQLite file built with bulk inserts). A diary day is an evening check-in (five answers)
or a free-text diary line, half and half, as people use both. Prints numbers next to their
targets; it asserts nothing (speed targets are not tests).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, create_engine, insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS  # noqa: E402
from bot.diary.view import DiaryDay, diary_days  # noqa: E402
from bot.insights.engine import diary_links  # noqa: E402
from bot.insights.recap import chart_data, recap_numbers, render_chart  # noqa: E402
from bot.store.db import make_engine, make_sessions  # noqa: E402
from bot.store.models import Answer, Base, Checkin, LogEntry, User  # noqa: E402

TODAY = date(2026, 2, 15)
DAYS = 28
SAMPLES = 300
CHART_SAMPLES = 30
NUMBERS_TARGET_MS = 5.0
CHART_TARGET_MS = 150.0
MEASURED: dict[str, list[float]] = {}


def build(path: Path, users: int) -> None:
    """Users and their diaries, inserted in large batches on a plain sync connection."""
    rng = random.Random(7)
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {
                    "id": n,
                    "platform_id": n,
                    "chat_id": n,
                    "onboarding_step": "done",
                    "consented_at": created,
                    "timezone": "Europe/Berlin",
                    "created_at": created,
                    "updated_at": created,
                }
                for n in range(1, users + 1)
            ],
        )
        lines: list[dict[str, object]] = []
        checkins: list[dict[str, object]] = []
        answers: list[dict[str, object]] = []
        checkin_ids = itertools.count(1)
        for user_id in range(1, users + 1):
            for offset in range(DAYS):
                if rng.random() < 0.15:  # some days are skipped, as in real life
                    continue
                day = TODAY - timedelta(days=offset)
                evening = datetime(day.year, day.month, day.day, 19, tzinfo=UTC)
                foods = [g for g in FOOD_GROUPS if rng.random() < 0.2]
                symptoms = [s for s in SYMPTOMS if rng.random() < 0.15]
                pain, stress, sleep = rng.randint(0, 10), rng.randint(1, 5), rng.randint(1, 5)
                if rng.random() < 0.5:
                    lines.append(
                        {
                            "user_id": user_id,
                            "local_date": day,
                            "text": "",
                            "food_groups": foods,
                            "symptoms": symptoms,
                            "pain": pain,
                            "stress": stress,
                            "sleep": sleep,
                            "bristol": None,
                            "created_at": evening,
                        }
                    )
                    continue
                checkin_id = next(checkin_ids)
                values = {
                    "pain": pain,
                    "digestion": symptoms,
                    "food": foods,
                    "stress": stress,
                    "sleep": sleep,
                }
                checkins.append(
                    {
                        "id": checkin_id,
                        "user_id": user_id,
                        "local_date": day,
                        "slot": 1,
                        "questions": list(values),
                        "current": None,
                        "status": "done",
                        "created_at": evening,
                        "updated_at": evening,
                    }
                )
                answers += [
                    {
                        "checkin_id": checkin_id,
                        "user_id": user_id,
                        "local_date": day,
                        "question": question,
                        "value": value,
                        "answered_at": evening + timedelta(seconds=n),
                    }
                    for n, (question, value) in enumerate(values.items())
                ]
            if len(lines) + len(answers) >= 50_000:
                flush(connection, lines, checkins, answers)
        flush(connection, lines, checkins, answers)
    engine.dispose()


def flush(
    connection: Connection,
    lines: list[dict[str, object]],
    checkins: list[dict[str, object]],
    answers: list[dict[str, object]],
) -> None:
    for model, rows in ((LogEntry, lines), (Checkin, checkins), (Answer, answers)):
        if rows:
            connection.execute(insert(model), rows)
    for rows in (lines, checkins, answers):
        rows.clear()


def main_links(days: dict[date, DiaryDay]) -> None:
    """The links rule on main before the insight engine (for the baseline): plain differences
    of means for every symptom and food group at lags 0 and 1."""
    scored = [(w, float(d.value("pain"))) for w, d in days.items() if d.value("pain") is not None]
    for lag in (0, 1):
        pairs = [
            (pain, source)
            for when, pain in scored
            if (source := days.get(when - timedelta(days=lag))) is not None
        ]
        for items, symptoms in ((SYMPTOMS, True), (FOOD_GROUPS, False)):
            for item in items:
                with_ = [p for p, s in pairs if item in (s.symptoms if symptoms else s.foods)]
                without = len(pairs) - len(with_)
                if len(with_) >= 3 and without >= 3:
                    sum(with_) / len(with_)


async def measure(path: Path, users: int) -> tuple[list[float], list[float]]:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    sessions = make_sessions(engine)
    rng = random.Random(11)
    numbers: list[float] = []
    links: list[float] = []
    baseline: list[float] = []
    for _ in range(SAMPLES):
        user_id = rng.randint(1, users)
        async with sessions() as session:
            user = await session.get(User, user_id)
            assert user is not None
            started = time.perf_counter()
            await recap_numbers(session, user, TODAY)
            numbers.append((time.perf_counter() - started) * 1000)
            days = await diary_days(session, user_id, end=TODAY, notes=False)
        started = time.perf_counter()
        diary_links(days)
        links.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        main_links(days)
        baseline.append((time.perf_counter() - started) * 1000)
    MEASURED["links"], MEASURED["baseline"] = links, baseline
    async with sessions() as session:
        data = chart_data(await diary_days(session, 1, end=TODAY), TODAY)
    await engine.dispose()
    render_chart(data)  # the first drawing loads fonts; a running bot has done that already
    charts: list[float] = []
    for _ in range(CHART_SAMPLES):
        started = time.perf_counter()
        render_chart(data)
        charts.append((time.perf_counter() - started) * 1000)
    return numbers, charts


def main() -> None:
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-recap.db"
        started = time.perf_counter()
        build(path, users)
        print(f"built {users} users x {DAYS} days in {time.perf_counter() - started:.1f} s")
        numbers, charts = asyncio.run(measure(path, users))
    print(
        f"recap_numbers: median {statistics.median(numbers):.2f} ms over {SAMPLES} users "
        f"(target < {NUMBERS_TARGET_MS:.0f} ms)"
    )
    links, baseline = MEASURED["links"], MEASURED["baseline"]
    main_estimate = (
        statistics.median(numbers) - statistics.median(links) + statistics.median(baseline)
    )
    print(
        f"  of which the insight engine: median {statistics.median(links):.2f} ms; main's "
        f"links rule in its place: {statistics.median(baseline):.2f} ms, so main's recap_numbers "
        f"would be about {main_estimate:.2f} ms here"
    )
    print(
        f"render_chart:  median {statistics.median(charts):.1f} ms over {CHART_SAMPLES} charts "
        f"(target < {CHART_TARGET_MS:.0f} ms)"
    )


if __name__ == "__main__":
    main()
