"""A diary CSV in the /export format: read into the engine's records, or refused with one line."""

from __future__ import annotations

from datetime import date

import pytest

from bot.insights.diary_file import DiaryFileError, analysis_json, read_diary_csv
from bot.insights.engine import analyse


def test_columns_are_read_by_name_and_blank_is_not_recorded() -> None:
    text = (
        "notes,date,pain,food_greasy,symptom_bloating,stress,sleep,med_probiotics,mood\n"
        "'=hi,2026-03-01,4,1,0,5,2,1,happy\n"
        ",2026-03-02,,0,,1,,,\n"
    )
    first, second = read_diary_csv(text).values()
    assert first.pain == 4.0
    assert first.factors == {
        "food:greasy": True,
        "symptom:bloating": False,
        "medicine:probiotics": True,
        "stress:high": True,
        "sleep:poor": True,
    }
    assert second.pain is None
    assert second.factors == {"food:greasy": False, "stress:high": False}


def test_a_diary_with_only_dates_and_pain_is_fine() -> None:
    rows = "\n".join(f"2026-03-{n:02d},{n % 7}" for n in range(1, 21))
    records = read_diary_csv("date,pain\n" + rows + "\n")
    assert len(records) == 20 and records[date(2026, 3, 6)].pain == 6.0
    assert analyse(records).links == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("day,pain\n2026-03-01,4\n", "no 'date' column"),
        ("date,pain\n01/03/2026,4\n", "line 2: date '01/03/2026' is not a YYYY-MM-DD date"),
        ("date,pain\n2026-03-01,eleven\n", "line 2: pain is 'eleven', not a number"),
        ("date,pain\n2026-03-01,11\n", "line 2: pain 11 is outside 0-10"),
        ("date,food_greasy\n2026-03-01,yes\n", "line 2: food_greasy is 'yes'"),
        ("date,pain\n2026-03-01,4\n2026-03-01,5\n", "line 3: 2026-03-01 appears twice"),
        ("date,pain\n2026-03-01,4,9\n", "line 2: 3 cells but the header has 2 columns"),
        ('date,pain\n2026-03-01,"4\n', "not readable as CSV"),
    ],
)
def test_a_malformed_file_is_refused_with_where_and_why(text: str, message: str) -> None:
    with pytest.raises(DiaryFileError) as error:
        read_diary_csv(text)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_json_lists_the_links_with_their_numbers() -> None:
    rows = ["date,pain,food_greasy"]
    for n in range(40):
        greasy = n % 5 in (0, 2)
        rows.append(f"2026-02-{1 + n % 28:02d}" if n < 28 else f"2026-03-{n - 27:02d}")
        rows[-1] += f",{(7 if greasy else 3) + (n * 7 % 3) - 1},{int(greasy)}"
    answer = analysis_json(analyse(read_diary_csv("\n".join(rows) + "\n")))
    [link] = answer["links"]
    assert (link["kind"], link["item"], link["lag"]) == ("food", "greasy", 0)
    assert (link["with_days"], link["without_days"]) == (16, 24)
    assert link["with_average"] - link["without_average"] == pytest.approx(4.0, abs=0.5)
    assert link["low"] < link["effect"] < link["high"]
    assert answer["scored_days"] == 40 and answer["more_days_needed"] == 0
