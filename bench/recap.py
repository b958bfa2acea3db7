"""Print how fast one recap's numbers are computed and one recap chart is drawn.

Run: ``python bench/recap.py [users]`` (default 10,000 users with 4 weeks of diary each, in a
temporary SQLite file built with bulk inserts). A diary day is an evening check-in (five answers)
or a free-text diary line, half and half, as people use both. Prints numbers next to their
targets; it asserts nothing (speed targets are not tests).

Beside ``recap_numbers`` it prints, measured in the same run on the same people (each going
first every other time), the read it replaced: the diary, the week's warning signs and the
breathing answers in three round trips of ORM-attribute statements (a faithful copy here), and
how many of the people got the very same recap from both. On a loaded machine each round trip
to the database thread waits for a core, so the count of round trips matters more than rows.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    Integer,
    Select,
    SmallInteger,
    String,
    bindparam,
    create_engine,
    insert,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS  # noqa: E402
from bot.diary.questions import BREATHING, STRESS  # noqa: E402
from bot.diary.view import DiaryDay, days_from_rows, diary_days  # noqa: E402
from bot.insights.breathing_outcomes import LOOK_BACK, summarise  # noqa: E402
from bot.insights.engine import diary_links  # noqa: E402
from bot.insights.recap import (  # noqa: E402
    Recap,
    chart_data,
    compute_recap,
    recap_numbers,
    render_chart,
)
from bot.insights.warning_signs import signs_from_rows, signs_params  # noqa: E402
from bot.store.db import make_engine, make_sessions  # noqa: E402
from bot.store.models import (  # noqa: E402
    Answer,
    Base,
    Checkin,
    LogEntry,
    SafetyEvent,
    User,
    UTCDateTime,
)

TODAY = date(2026, 2, 15)
DAYS = 28
SAMPLES = 300
#: The scalar diary questions, as the diary view reads them.
SCALARS = ("pain", "bristol", "stress", "sleep")
#: Per sample: did the baseline's read give the very same recap?
SAME: list[bool] = []
CHART_SAMPLES = 30
NUMBERS_TARGET_MS = 5.0
CHART_TARGET_MS = 150.0


#: Columns written per table, in the order the rows below give them.
_LINE_COLUMNS = (
    "user_id, local_date, text, food_groups, symptoms, pain, stress, sleep, bristol, created_at"
)
_CHECKIN_COLUMNS = (
    "id, user_id, local_date, slot, questions, current, status, created_at, updated_at"
)
_ANSWER_COLUMNS = "checkin_id, user_id, local_date, question, value, answered_at"


def _stored_instant(when: datetime) -> str:
    """A UTC instant as SQLAlchemy stores it on SQLite (``UTCDateTime``: naive UTC)."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, users: int) -> None:
    """Users and their diaries, inserted in large batches on a plain sync connection.

    The diary rows (about 830k for 10k people: a check-in is six rows) go through the DBAPI's
    ``executemany`` with values already in their stored form (dates and instants as SQLAlchemy
    writes them on SQLite, JSON encoded once per list): converting each of them through
    SQLAlchemy's bind processing took about three quarters of the build.
    """
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
        lines: list[tuple[object, ...]] = []
        checkins: list[tuple[object, ...]] = []
        answers: list[tuple[object, ...]] = []
        checkin_ids = itertools.count(1)
        days = [TODAY - timedelta(days=offset) for offset in range(DAYS)]
        stored_days = [day.isoformat() for day in days]
        evenings = [datetime(d.year, d.month, d.day, 19, tzinfo=UTC) for d in days]
        # An answer is given a second after the one before it, as in the check-in.
        stored_answer_times = [
            [_stored_instant(evening + timedelta(seconds=n)) for n in range(5)]
            for evening in evenings
        ]
        questions = json.dumps(["pain", "digestion", "food", "stress", "sleep"])
        for user_id in range(1, users + 1):
            for offset in range(DAYS):
                if rng.random() < 0.15:  # some days are skipped, as in real life
                    continue
                day, evening = stored_days[offset], stored_answer_times[offset][0]
                foods = json.dumps([g for g in FOOD_GROUPS if rng.random() < 0.2])
                symptoms = json.dumps([s for s in SYMPTOMS if rng.random() < 0.15])
                pain, stress, sleep = rng.randint(0, 10), rng.randint(1, 5), rng.randint(1, 5)
                if rng.random() < 0.5:
                    lines.append(
                        (user_id, day, "", foods, symptoms, pain, stress, sleep, None, evening)
                    )
                    continue
                checkin_id = next(checkin_ids)
                checkins.append(
                    (checkin_id, user_id, day, 1, questions, None, "done", evening, evening)
                )
                times = stored_answer_times[offset]
                answers += [
                    (checkin_id, user_id, day, "pain", str(pain), times[0]),
                    (checkin_id, user_id, day, "digestion", symptoms, times[1]),
                    (checkin_id, user_id, day, "food", foods, times[2]),
                    (checkin_id, user_id, day, "stress", str(stress), times[3]),
                    (checkin_id, user_id, day, "sleep", str(sleep), times[4]),
                ]
            if len(lines) + len(answers) >= 50_000:
                flush(connection, lines, checkins, answers)
        flush(connection, lines, checkins, answers)
    engine.dispose()


def flush(
    connection: Connection,
    lines: list[tuple[object, ...]],
    checkins: list[tuple[object, ...]],
    answers: list[tuple[object, ...]],
) -> None:
    for table, columns, rows in (
        (LogEntry.__tablename__, _LINE_COLUMNS, lines),
        (Checkin.__tablename__, _CHECKIN_COLUMNS, checkins),
        (Answer.__tablename__, _ANSWER_COLUMNS, answers),
    ):
        if rows:
            marks = ", ".join("?" * (columns.count(",") + 1))
            connection.exec_driver_sql(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
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


# --- the baseline: the recap's read as it was before it came in one plain statement ----------
# A faithful copy (statements with the ORM's attributes, three round trips), run in the same
# process on the same people, so the figure beside it is measured under the same load.


@functools.cache
def _before_statements() -> tuple[Select[Any], Select[Any], Select[Any]]:
    user = bindparam("user_id", type_=Integer)
    no_int, no_json = type_coerce(null(), SmallInteger), type_coerce(null(), JSON)
    answers = select(
        literal_column("0").label("source"),
        Answer.local_date.label("local_date"),
        Answer.answered_at.label("at"),
        Answer.id.label("id"),
        Answer.question.label("question"),
        Answer.value.label("value"),
        *(no_int.label(name) for name in SCALARS),
        no_json.label("symptoms"),
        no_json.label("food_groups"),
        type_coerce(null(), String).label("text"),
    ).where(Answer.user_id == user, Answer.local_date <= bindparam("end", type_=Date))
    lines = select(
        literal_column("1"),
        LogEntry.local_date,
        LogEntry.created_at,
        LogEntry.id,
        null(),
        null(),
        *(getattr(LogEntry, name) for name in SCALARS),
        LogEntry.symptoms,
        LogEntry.food_groups,
        null(),
    ).where(LogEntry.user_id == user, LogEntry.local_date <= bindparam("end", type_=Date))
    rows = union_all(answers, lines).subquery()
    diary = select(rows).order_by(rows.c.source, rows.c.at, rows.c.id)
    signs = (
        select(SafetyEvent.created_at, SafetyEvent.flag_id, SafetyEvent.tier, SafetyEvent.source)
        .where(
            SafetyEvent.user_id == user,
            SafetyEvent.created_at >= bindparam("since", type_=UTCDateTime()),
            SafetyEvent.created_at < bindparam("until", type_=UTCDateTime()),
        )
        .order_by(SafetyEvent.created_at, SafetyEvent.id)
    )
    breathing = (
        select(Answer.checkin_id, Answer.question, Answer.value, Answer.local_date)
        .where(
            Answer.user_id == user,
            Answer.local_date >= bindparam("since", type_=Date),
            Answer.local_date <= bindparam("end", type_=Date),
            Answer.question.in_((BREATHING, STRESS)),
        )
        .order_by(Answer.answered_at, Answer.id)
    )
    return diary, signs, breathing


async def before_read(session: AsyncSession, user: User) -> Recap:
    """The recap's numbers read in three round trips of ORM-attribute statements, as before."""
    diary, signs, breathing = _before_statements()
    start = TODAY - timedelta(days=6)
    zone = ZoneInfo(user.timezone or "UTC")
    rows = await session.execute(diary, {"user_id": user.id, "end": TODAY})
    days = days_from_rows(rows, notes=False)
    events = await session.execute(signs, {"user_id": user.id, **signs_params(start, TODAY)})
    safety = signs_from_rows(events, zone, start, TODAY)
    params = {"user_id": user.id, "since": start - LOOK_BACK, "end": TODAY}
    answers = (await session.execute(breathing, params)).all()
    return compute_recap(days, safety, TODAY, summarise(answers, start))


async def measure(path: Path, users: int) -> dict[str, list[float]]:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    sessions = make_sessions(engine)
    rng = random.Random(11)
    found: dict[str, list[float]] = {
        name: [] for name in ("numbers", "before", "links", "main_links", "charts")
    }
    for sample in range(SAMPLES):
        user_id = rng.randint(1, users)
        async with sessions() as session:
            user = await session.get(User, user_id)
            assert user is not None
            # Each goes first every other sample: the second reads pages the first has cached.
            runs = [("numbers", recap_numbers(session, user, TODAY))]
            runs.insert(sample % 2, ("before", before_read(session, user)))
            said = {}
            for name, run in runs:
                started = time.perf_counter()
                said[name] = await run
                found[name].append((time.perf_counter() - started) * 1000)
            SAME.append(said["numbers"] == said["before"])
            days = await diary_days(session, user_id, end=TODAY, notes=False)
        started = time.perf_counter()
        diary_links(days)
        found["links"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        main_links(days)
        found["main_links"].append((time.perf_counter() - started) * 1000)
    async with sessions() as session:
        data = chart_data(await diary_days(session, 1, end=TODAY), TODAY)
    await engine.dispose()
    render_chart(data)  # the first drawing loads fonts; a running bot has done that already
    for _ in range(CHART_SAMPLES):
        started = time.perf_counter()
        render_chart(data)
        found["charts"].append((time.perf_counter() - started) * 1000)
    return found


def main() -> None:
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-recap.db"
        started = time.perf_counter()
        build(path, users)
        print(f"built {users} users x {DAYS} days in {time.perf_counter() - started:.1f} s")
        found = asyncio.run(measure(path, users))
    median = {name: statistics.median(values) for name, values in found.items()}
    print(
        f"recap_numbers: median {median['numbers']:.2f} ms over {SAMPLES} users "
        f"(target < {NUMBERS_TARGET_MS:.0f} ms)"
    )
    print(
        f"  baseline, the same numbers read as before (three round trips, ORM-attribute "
        f"statements), same run: {median['before']:.2f} ms; the same recap for "
        f"{sum(SAME)} of {len(SAME)} people"
    )
    main_estimate = median["numbers"] - median["links"] + median["main_links"]
    print(
        f"  of which the insight engine: median {median['links']:.2f} ms; main's links rule in "
        f"its place: {median['main_links']:.2f} ms, so recap_numbers with it would be about "
        f"{main_estimate:.2f} ms here"
    )
    print(
        f"render_chart:  median {median['charts']:.1f} ms over {CHART_SAMPLES} charts "
        f"(target < {CHART_TARGET_MS:.0f} ms)"
    )


if __name__ == "__main__":
    main()
