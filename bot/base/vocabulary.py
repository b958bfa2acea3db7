"""The ids that the check-in, the free-text parser, tips, swaps and the recap all share.

They are stored in the database, so they are stable: add new ids, never rename old ones. What a
person sees for each id (the button label) lives in ``content/wording.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

#: Digestion symptoms asked in the check-in (multi-select). "none" is a choice, not a symptom.
SYMPTOMS: Final = (
    "bloating",
    "gas",
    "constipation",
    "diarrhoea",
    "reflux",
    "cramps",
    "nausea",
)

#: Medicines and supplements the optional check-in question asks about (multi-select, switched
#: on in /settings): painkillers can cause gut symptoms and hide back pain, so they confound every
#: gut-to-back link and the insight engine reads them as candidates.
MEDICINES: Final = (
    "painkillers",
    "anti_inflammatories",
    "probiotics",
    "omega3",
    "magnesium",
    "other",
)

#: Food and drink groups that matter in the article (multi-select in the check-in).
FOOD_GROUPS: Final = (
    "greasy",  # greasy or fried
    "sugary",  # sweets, desserts, refined sugar
    "processed",  # ultra-processed food or takeout
    "alcohol",
    "soda",  # sugary fizzy drinks
    "gluten",  # gluten-heavy: bread, pasta, pastries
    "fermented",  # yoghurt, kefir, kimchi, sauerkraut, kombucha
    "prebiotic",  # prebiotic fibre: oats, leeks, garlic, onions, green bananas, cooled potatoes
    "anti_inflammatory",  # berries, leafy greens, oily fish, turmeric, ginger
)

#: Groups the article counts as gut offenders (the rest are gut-friendly).
OFFENDER_GROUPS: Final = frozenset({"greasy", "sugary", "processed", "alcohol", "soda", "gluten"})

#: Bristol stool scale: 1 (hard lumps) to 7 (watery).
BRISTOL_TYPES: Final = tuple(range(1, 8))


def unknown_in(ids: Iterable[str], known: Iterable[str], what: str) -> None:
    """Refuse content that names an id the vocabulary does not have (content is validated once).

    ``what`` names the kind in the message: "food groups", "symptoms".
    """
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(unknown)}")
