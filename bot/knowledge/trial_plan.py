"""The plan of a swap experiment run as a randomised N-of-1 trial: which week is which.

A baseline week (the person's usual days), then pairs of one-week blocks, one "usual" and one
"swap" in a random order within each pair. The order comes from a seed stored with the
experiment, so a restart or another worker draws the same plan, and a pair added later keeps the
earlier ones. Pure dates, no statistics: the check-in needs it (which week is it today?) below
the insight engine that judges the result (:mod:`bot.insights.trial`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

#: Days per block, and in the baseline week.
BLOCK_DAYS = 7
BASELINE_DAYS = 7
#: The first days of each block that are not analysed (a swap may take a day or two to act
#: and to wear off).
WASHOUT_DAYS = 2
#: Pairs of blocks in a new experiment, and at most after "one more pair".
FIRST_PAIRS = 2
MAX_PAIRS = 4

Arm = Literal["baseline", "usual", "swap"]


def new_seed() -> int:
    """A seed for a new experiment's plan (stored with it)."""
    return random.SystemRandom().randrange(1, 2**31 - 1)


def pair_orders(seed: int, pairs: int) -> list[tuple[Arm, Arm]]:
    """The order of each pair of blocks: (usual, swap) or (swap, usual), from the seed.

    Drawn one pair after another from the same generator, so ``pair_orders(seed, 3)`` starts
    with ``pair_orders(seed, 2)``: a pair added later leaves the plan so far unchanged.
    ``random.Random`` with an int seed gives the same sequence on every Python version.
    """
    rng = random.Random(seed)
    return [("usual", "swap") if rng.random() < 0.5 else ("swap", "usual") for _ in range(pairs)]


@dataclass(frozen=True, slots=True)
class Block:
    start: date
    arm: Arm
    index: int  # 0 is the baseline week

    @property
    def end(self) -> date:
        return self.start + timedelta(days=BLOCK_DAYS - 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def washout(self, day: date) -> bool:
        """The first days of a block after the baseline, which are not analysed."""
        return self.index > 0 and (day - self.start).days < WASHOUT_DAYS


def plan(started_on: date, seed: int, pairs: int, extra_starts: Sequence[date] = ()) -> list[Block]:
    """The blocks of an experiment: baseline week, then ``pairs`` randomised pairs of weeks.

    Pairs follow each other without a gap, except pairs added later ("one more pair"), which
    start on the dates in ``extra_starts`` (one per pair beyond :data:`FIRST_PAIRS`, in order);
    the days in between belong to no block and are not analysed.
    """
    blocks = [Block(started_on, "baseline", 0)]
    starts = list(extra_starts)
    next_start = started_on + timedelta(days=BASELINE_DAYS)
    for number, order in enumerate(pair_orders(seed, pairs)):
        if number >= FIRST_PAIRS and number - FIRST_PAIRS < len(starts):
            next_start = max(next_start, starts[number - FIRST_PAIRS])
        for arm in order:
            blocks.append(Block(next_start, arm, len(blocks)))
            next_start += timedelta(days=BLOCK_DAYS)
    return blocks


def block_on(blocks: Sequence[Block], day: date) -> Block | None:
    return next((block for block in blocks if block.contains(day)), None)


def last_day(blocks: Sequence[Block]) -> date:
    return blocks[-1].end
