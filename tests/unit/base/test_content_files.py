"""Every file in ``content/`` loads, validates, names real article sections, and is our own words.

The files are found at test time, so a file another engineer adds is checked as soon as it exists.
A file whose loader module is not written yet is skipped with a reason that says so, never passed
silently. The originality check enforces the project rule that no run of 8 consecutive words from
the source article appears in the content or in the code.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
CONTENT = REPO / "content"
ARTICLE = REPO.parent / "shared" / "source" / "article.txt"
CODE_DIRS = ("bot", "handlers", "bench")
RUN = 8  # words in a row that count as copying

#: content file -> (module, candidate loader names). The first name the module has is used.
LOADERS: dict[str, tuple[str, str]] = {
    "sections.yaml": ("bot.base.content", "article_sections"),
    "tips.yaml": ("bot.knowledge.tips", "tips"),
    "breathing.yaml": ("bot.knowledge.breathing", "breathing"),
    "foods.yaml": ("bot.knowledge.foods", "lexicon"),
    "swaps.yaml": ("bot.knowledge.swaps", "swaps"),
    "redflags.yaml": ("bot.safety.rules", "redflags"),
    "emergency_numbers.yaml": ("bot.safety.rules", "regions"),
    "safety_wording.yaml": ("bot.safety.rules", "safety_wording"),
    "wording.yaml": ("bot.base.wording", "wording"),
    "privacy.yaml": ("bot.privacy.export_and_delete", "privacy_wording"),
    "report.yaml": ("bot.insights.report", "report_wording"),
    "recap.yaml": ("bot.insights.recap", "recap_wording"),
    "experiments.yaml": ("bot.knowledge.trials", "experiment_library"),
    "safety_languages.yaml": ("bot.safety.language", "language_content"),
    "safety_model.yaml": ("bot.safety.model", "shipped_model"),
    "not_english.yaml": ("bot.safety.conversation", "everyday_words"),
    "timezones.yaml": ("bot.base.timezones", "timezone_names"),
}

YAML_FILES = sorted(CONTENT.glob("*.yaml"))


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _loader(filename: str) -> Callable[[], object]:
    """The validating loader of a content file; every file in content/ must have one."""
    assert filename in LOADERS, f"content/{filename} has no loader: add one and list it here"
    module_name, name = LOADERS[filename]
    return getattr(importlib.import_module(module_name), name)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda path: path.name)
def test_content_file_is_valid_yaml(path: Path) -> None:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert data, f"{_rel(path)} is empty"


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda path: path.name)
def test_content_file_validates_against_its_model(path: Path) -> None:
    loader = _loader(path.name)
    assert loader() is not None


def _section_values(node: object, where: str) -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "section":
                yield where, value
            yield from _section_values(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _section_values(item, f"{where}[{index}]")


def test_every_section_value_names_a_real_section() -> None:
    from bot.base.content import article_sections

    known = article_sections().ids()
    wrong: list[str] = []
    seen = 0
    for path in YAML_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for where, value in _section_values(data, path.name):
            seen += 1
            if value not in known:
                wrong.append(f"{where}: {value!r}")
    assert seen > 0, "no section: values found at all; is content/ empty?"
    assert wrong == [], "unknown article sections:\n" + "\n".join(wrong)


# --- originality ------------------------------------------------------------------------------

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> list[str]:
    """Lower case, apostrophes dropped (don't -> dont), other punctuation as spaces, split."""
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text.lower())).split()


def runs(words: list[str]) -> Iterator[tuple[int, str]]:
    for start in range(len(words) - RUN + 1):
        yield start, " ".join(words[start : start + RUN])


def _scanned_files() -> list[Path]:
    files = [path for path in CONTENT.rglob("*") if path.is_file()]
    for name in CODE_DIRS:
        files.extend((REPO / name).rglob("*.py"))
    return sorted(path for path in files if "__pycache__" not in path.parts)


@pytest.fixture(scope="module")
def article_runs() -> set[int]:
    if not ARTICLE.is_file():
        pytest.skip(f"source article not found at {ARTICLE}; originality cannot be checked")
    article = {hash(run) for _, run in runs(normalise(ARTICLE.read_text(encoding="utf-8")))}
    # Section headings are quoted on purpose, as attribution ("From the article: <title>").
    titles = yaml.safe_load((CONTENT / "sections.yaml").read_text(encoding="utf-8"))
    for section in titles["sections"]:
        article -= {hash(run) for _, run in runs(normalise(section["title"]))}
    return article


def test_normalise_and_runs_catch_reformatted_copies() -> None:
    original = "It’s the communication superhighway—between your digestive system and brain."
    sneaky = "its THE communication superhighway between, your digestive\n  system and"
    source = {hash(run) for _, run in runs(normalise(original))}
    assert any(hash(run) in source for _, run in runs(normalise(sneaky)))
    assert not any(hash(run) in source for _, run in runs(normalise("its the gut and the brain")))


@pytest.mark.parametrize("path", _scanned_files(), ids=_rel)
def test_no_eight_word_run_from_the_article(path: Path, article_runs: set[int]) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip(f"{_rel(path)} is not text")
    copied = [run for _, run in runs(normalise(text)) if hash(run) in article_runs]
    assert not copied, f"{_rel(path)} copies the article: " + " | ".join(copied[:5])


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("Kefir will cure your  back, some people find.", "promise wording 'cure'"),
        ("Oily fish heals the gut, some people find.", "promise wording 'heals'"),
        ("Swap soda for sparkling water every single day.", "advice must hedge"),
    ],
)
def test_advice_that_promises_or_does_not_hedge_is_refused_when_content_loads(
    text: str, refusal: str
) -> None:
    """Tips, swaps and experiments share one rule for what advice may say."""
    from pydantic import TypeAdapter, ValidationError

    from bot.base.content import HedgedAdvice

    with pytest.raises(ValidationError, match=refusal):
        TypeAdapter(HedgedAdvice).validate_python(text)
    assert TypeAdapter(HedgedAdvice).validate_python("Kefir may  help some people.") == (
        "Kefir may help some people."
    )
