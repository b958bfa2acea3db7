"""The learned layer: the shipped weights are what the labelled phrases give, small and fast.

Retraining is deterministic (full-batch gradient descent from zeros), so the shipped file must
be exactly what ``python -m bot.safety.training`` builds from tests/data/safety_eval.yaml: a changed
phrase without a rebuild fails here, not in front of someone who needs the answer.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.safety.matcher import Matcher
from bot.safety.model import MODEL_FILE, LinearModel, buckets, features, shipped_model
from bot.safety.rules import redflags
from bot.safety.training import classes, load_items, train

ROOT = Path(__file__).resolve().parents[2]


def test_retraining_reproduces_the_shipped_weights() -> None:
    shipped = shipped_model()
    rebuilt = train(load_items(), Matcher(redflags()))
    assert rebuilt.classes == shipped.classes == classes()
    assert np.array_equal(rebuilt.used_buckets(), shipped.used_buckets())
    np.testing.assert_allclose(rebuilt.scale, shipped.scale, rtol=1e-4)
    np.testing.assert_allclose(rebuilt.bias, shipped.bias, rtol=1e-4, atol=1e-5)
    differ = np.abs(rebuilt.quantised.astype(int) - shipped.quantised.astype(int))
    # float32 sums may round a weight to the neighbouring int8 step on another CPU, no more.
    assert differ.max() <= 1 and (differ > 0).mean() < 0.001


def test_the_file_round_trips_and_stays_small() -> None:
    model = shipped_model()
    again = LinearModel.from_document(model.to_document())
    assert np.array_equal(again.quantised, model.quantised)
    assert np.array_equal(again.rows, model.rows)
    assert MODEL_FILE.stat().st_size < 600_000
    assert model.quantised.nbytes + model.rows.nbytes < 1_500_000


def test_features_fold_letter_groups_and_mark_negation() -> None:
    found = features([" no numbness ", " spewed "])
    assert "n:numbness" in found and "w:no" in found
    assert "c:<spe" in found and "c:spew" in found
    assert buckets(found, 1 << 15) == sorted(set(buckets(found, 1 << 15)))


def test_probabilities_sum_to_one_and_favour_the_right_cluster() -> None:
    matcher = Matcher(redflags())
    probs = shipped_model().probabilities(matcher.clauses("i want to kill myself"))
    assert abs(sum(probs.values()) - 1.0) < 1e-5
    crisis = sum(probs[f] for f in ("crisis_suicide", "crisis_self_harm", "crisis_pain_hopeless"))
    assert crisis > probs["none"]
    diary = shipped_model().probabilities(matcher.clauses("porridge and coffee, back 4"))
    assert diary["none"] > 0.5


def test_loading_the_screen_adds_only_a_few_megabytes() -> None:
    """Measured in a fresh interpreter, numpy already loaded as in the bot (matplotlib)."""
    code = (
        "import re, numpy, yaml, pydantic, bot.base.content\n"
        "hwm = lambda: int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])\n"
        "before = hwm()\n"
        "from bot.safety.screen import screen\n"
        "screen('numb down there and my back hurts')\n"
        "print(hwm() - before)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    added_kib = int(re.findall(r"-?\d+", out)[-1])
    assert added_kib < 12 * 1024, f"the screen added {added_kib} KiB"
