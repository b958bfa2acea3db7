"""Loading of the YAML files in ``content/``.

Everything a person reads (tips, swaps, red flags, wording) lives in ``content/`` as YAML so that
changing a sentence never means changing Python. Each file is validated by a pydantic model when it
is first loaded; a typo in a file fails loudly at start-up and in the tests, not in front of a user.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"

ModelT = TypeVar("ModelT", bound=BaseModel)

#: Wording that promises an outcome. The bot gives wellbeing ideas, never a cure.
PROMISES = re.compile(
    r"\b(cures?|cured|curing|heals?|heal your|guarantee[sd]?|will fix|fixes your|miracle|detox)\b",
    re.IGNORECASE,
)

#: Advice must hedge with at least one of these: ideas that may help, never a promise.
HEDGES = re.compile(r"\b(may|might|could|some people|some researchers|some scientists)\b", re.I)


def _without_promises(text: str) -> str:
    text = " ".join(text.split())
    match = PROMISES.search(text)
    if match:
        raise ValueError(f"promise wording {match.group(0)!r} is not allowed")
    return text


def _hedged(text: str) -> str:
    if not HEDGES.search(text):
        raise ValueError("advice must hedge ('may', 'might', 'could', 'some people')")
    return text


#: Text a person reads as advice or a caution: whitespace collapsed, no promised outcome.
PlainAdvice = Annotated[str, AfterValidator(_without_promises)]
#: Advice that must also hedge (a tip's text, a swap's why, an experiment's plan).
HedgedAdvice = Annotated[str, AfterValidator(_without_promises), AfterValidator(_hedged)]


def repeated(ids: list[str]) -> list[str]:
    """The ids a content file names more than once, sorted (each entry needs its own id)."""
    return sorted({item for item in ids if ids.count(item) > 1})


def read_yaml(filename: str) -> object:
    """Parse one file from ``content/`` (safe loader: content is data, never code)."""
    with (CONTENT_DIR / filename).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_model(filename: str, model: type[ModelT]) -> ModelT:
    """Read ``content/<filename>`` and validate it against ``model``."""
    return model.model_validate(read_yaml(filename))


class Section(BaseModel):
    id: str
    title: str


class Sections(BaseModel):
    sections: list[Section]

    def ids(self) -> set[str]:
        return {section.id for section in self.sections}

    def title(self, section_id: str) -> str:
        for section in self.sections:
            if section.id == section_id:
                return section.title
        raise KeyError(section_id)


@functools.cache
def article_sections() -> Sections:
    """The article's sections; every tip and swap must name one of their ids."""
    return load_model("sections.yaml", Sections)
