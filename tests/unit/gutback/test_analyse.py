"""`gutback analyse`: the recap's links from an /export CSV, and one clear line for a bad file."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.diary.view import diary_days
from bot.insights.engine import diary_links
from bot.insights.links import describe
from bot.privacy.export_and_delete import diary_csv
from bot.store.db import Sessions
from bot.store.models import LogEntry
from tests.support import add_person, at

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 3, 1)


def analyse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "analyse", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


async def exported(sessions: Sessions, tmp_path: Path) -> tuple[Path, list]:
    """A planted diary exported with /export's own code, and the recap's links for it."""
    user = await add_person(sessions, 1)
    rng = random.Random(3)
    noise, rows = 0.0, []
    for n in range(42):
        day = TODAY - timedelta(days=41 - n)
        noise = 0.6 * noise + rng.gauss(0, 1.0)
        foods = [g for g in ("greasy", "fermented", "gluten") if rng.random() < 0.4]
        symptoms = ["bloating"] if rng.random() < 0.3 else []
        pain = round(min(10, max(0, 5 + noise + (3 if "greasy" in foods else 0))))
        rows.append(
            LogEntry(
                user_id=user.id,
                local_date=day,
                text="=1+1 a note that looks like a formula",
                food_groups=foods,
                symptoms=symptoms,
                pain=pain,
                stress=1 + n % 5,
                created_at=at(day, 8),
            )
        )
    async with sessions() as session, session.begin():
        session.add_all(rows)
    async with sessions() as session:
        data = await diary_csv(session, user.id)
        days = await diary_days(session, user.id, notes=False)
    path = tmp_path / "gutback-diary.csv"
    path.write_bytes(data)
    return path, list(diary_links(days).links[:3])


async def test_an_export_gives_the_recaps_links_as_json(sessions: Sessions, tmp_path: Path) -> None:
    path, expected = await exported(sessions, tmp_path)
    assert expected  # the planted greasy link
    done = analyse(str(path), "--json")
    assert done.returncode == 0, done.stderr
    links = json.loads(done.stdout)["links"]
    assert [(k["kind"], k["item"], k["lag"]) for k in links] == [
        (k.kind, k.item, k.lag) for k in expected
    ]
    for got, want in zip(links, expected, strict=True):
        assert (got["with_days"], got["without_days"]) == (want.with_days, want.without_days)
        assert got["with_average"] == pytest.approx(want.with_average, abs=1e-4)
        assert got["without_average"] == pytest.approx(want.without_average, abs=1e-4)
        assert got["effect"] == pytest.approx(want.effect, abs=1e-4)


async def test_an_export_gives_the_recaps_sentences(sessions: Sessions, tmp_path: Path) -> None:
    path, expected = await exported(sessions, tmp_path)
    done = analyse(str(path))
    assert done.returncode == 0, done.stderr
    for link in expected:
        assert describe(link) in done.stdout


def test_unknown_columns_are_ignored_and_missing_ones_are_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.csv"
    rows = ["when_logged,date,pain,mood"] + [
        f"x,{(TODAY + timedelta(days=n)).isoformat()},{3 + n % 3},ok" for n in range(20)
    ]
    path.write_text("\n".join(rows) + "\n")
    done = analyse(str(path), "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["links"] == [] and answer["scored_days"] == 20 and answer["tested"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"date,pain\n2026-03-01,high\n", "line 2: pain is 'high', not a number"),
        (b"pain,food_greasy\n4,1\n", "no 'date' column"),
        (b"\xff\xfe\x00garbage", "not a UTF-8 text file"),
        (b"", "the file is empty"),
    ],
)
def test_a_malformed_file_gets_one_clear_line_and_status_2(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "diary.csv"
    path.write_bytes(content)
    done = analyse(str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_a_missing_file_gets_one_clear_line_and_status_2(tmp_path: Path) -> None:
    done = analyse(str(tmp_path / "nowhere.csv"))
    assert done.returncode == 2 and "cannot read" in done.stderr
    assert done.stderr.count("\n") == 1


def _trial_files(tmp_path: Path) -> tuple[Path, Path]:
    """An exported-style diary where swap weeks are 3 points lower, and its plan file."""
    start = date(2026, 3, 2)
    arms = "USSUUSSU"  # U usual, S swap; one week each
    days = {
        (start + timedelta(days=7 * w + d)).isoformat(): "swap" if arm == "S" else "usual"
        for w, arm in enumerate(arms)
        for d in range(7)
    }
    weekday = [1, 0, -1, 0, 0, -1, 1]
    rows = ["date,pain"] + [
        f"{day},{6 + weekday[i % 7] - (3 if arm == 'swap' else 0)}"
        for i, (day, arm) in enumerate(sorted(days.items()))
    ]
    diary = tmp_path / "diary.csv"
    diary.write_text("\n".join(rows) + "\n")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"outcome": "pain", "days": days}))
    return diary, plan


def test_an_experiment_plan_adds_the_verdict_and_the_effect_with_its_interval(
    tmp_path: Path,
) -> None:
    diary, plan = _trial_files(tmp_path)
    done = analyse(str(diary), "--experiment", str(plan), "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "links" in answer
    assert answer["verdict"] == "better"
    low, high = answer["interval"]
    assert low < answer["effect"] < high < -1
    said = analyse(str(diary), "--experiment", str(plan))
    assert said.returncode == 0, said.stderr
    assert "better on the swap" in said.stdout and "likely between" in said.stdout


def test_a_malformed_plan_gets_one_clear_line_and_status_2(tmp_path: Path) -> None:
    diary, plan = _trial_files(tmp_path)
    plan.write_text('{"outcome": "pain", "days": {"2026-03-02": "maybe"}}')
    done = analyse(str(diary), "--experiment", str(plan))
    assert done.returncode == 2 and done.stdout == ""
    assert str(plan) in done.stderr and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    missing = analyse(str(diary), "--experiment", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
