"""The learned layer of the safety screen: a small linear model over words and letter groups.

Why it exists: the rules in ``content/redflags.yaml`` are precise but only know the phrasings
someone thought of. People write "chucked up green gunk", "my nether regions have gone all tingly"
or "kms fr": a rule list never ends. A linear model over the *normalised* text (the matcher's typo
repair, synonyms and idiom removal applied first, so "weeing" and "pee" are already one concept)
learns which words and letter groups go with which warning sign from the project's labelled
phrases, and generalises to words it has never seen through their letter groups.

It never answers on its own: :mod:`bot.safety` uses its probabilities only to decide whether to
*ask* one short question (the middle band), see that module's docstring.

Format: ``content/safety_model.yaml`` holds the class names, the hashing size and the weights as
int8 (one scale per class), zlib-compressed and base64-encoded so that the file stays small and
loads without building a large Python structure. Features are hashed (CRC-32) into a fixed number
of buckets, so no vocabulary has to be stored. ``bot/safety_train.py`` builds the file from
``tests/data/safety_eval.yaml``; a test retrains and compares.

Pure: numpy arithmetic only, no I/O after loading.
"""

from __future__ import annotations

import base64
import functools
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import yaml

from bot.content import CONTENT_DIR

MODEL_FILE = CONTENT_DIR / "safety_model.yaml"

#: Words after which the next few words are marked as negated for the model ("no numbness" is
#: a different feature from "numbness"). The rules have their own, richer negation.
_NEGATORS = frozenset(
    {"no", "not", "never", "without", "dont", "didnt", "doesnt", "havent", "hasnt", "isnt", "nor"}
)
_NEGATION_REACH = 3
#: Letter groups of these lengths, taken inside each word with ``<`` and ``>`` marking its ends.
CHAR_NGRAMS = (3, 4, 5)


def features(clauses: Sequence[str]) -> list[str]:
    """The model's features for a message given as the matcher's normalised clauses.

    Words, word pairs within a clause, negation-marked words and letter groups. Letter groups are
    what lets "spewed" share evidence with "spewing", or "tingly" with "tingling".
    """
    out: list[str] = []
    for clause in clauses:
        words = clause.split()
        previous = "<s>"
        negated_for = 0
        for word in words:
            if word in _NEGATORS:
                negated_for = _NEGATION_REACH
                out.append("w:" + word)
                previous = word
                continue
            out.append("w:" + word)
            out.append("b:" + previous + " " + word)
            if negated_for:
                out.append("n:" + word)
                negated_for -= 1
            if not word.isdigit():
                padded = "<" + word + ">"
                for size in CHAR_NGRAMS:
                    for start in range(len(padded) - size + 1):
                        out.append("c:" + padded[start : start + size])
            else:
                out.append("d:" + ("big" if len(word) > 2 else word))
            previous = word
        out.append("b:" + previous + " </s>")
    return out


def buckets(feature_list: Iterable[str], size: int) -> list[int]:
    """Distinct hash buckets of the features (presence, not counts)."""
    mask = size - 1
    return sorted({zlib.crc32(feature.encode("utf-8")) & mask for feature in feature_list})


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Softmax regression over hashed features; ``classes[0]`` is "no warning sign"."""

    classes: tuple[str, ...]
    size: int
    #: (size, classes) int8; a weight is ``quantised[bucket, class] * scale[class]``. Kept as int8
    #: in memory too (32k buckets x ~50 classes is 1.7 MB, four times that as float32).
    quantised: np.ndarray
    scale: np.ndarray
    bias: np.ndarray

    @classmethod
    def from_float(cls, classes: Sequence[str], weights: np.ndarray, bias: np.ndarray) -> LinearModel:
        """Quantise trained float weights, exactly as the shipped file stores them."""
        quantised, scale = quantise(weights)
        return cls(tuple(classes), weights.shape[0], quantised, scale, bias.astype(np.float32))

    def probabilities(self, clauses: Sequence[str]) -> dict[str, float]:
        """Probability of each class for one message (its normalised clauses)."""
        index = buckets(features(clauses), self.size)
        if index:
            summed = self.quantised[index].sum(axis=0, dtype=np.int32) * self.scale
            scores = summed / math.sqrt(len(index)) + self.bias
        else:
            scores = self.bias.copy()
        scores = scores - scores.max()
        exp = np.exp(scores)
        probs = exp / exp.sum()
        return dict(zip(self.classes, probs.tolist(), strict=True))

    # ------------------------------------------------------------------ file format
    def to_document(self, note: str = "") -> dict[str, object]:
        """The YAML document for ``content/safety_model.yaml`` (int8 weights, per-class scale)."""
        payload = zlib.compress(self.quantised.tobytes(), 9)
        return {
            "note": note,
            "size": self.size,
            "classes": list(self.classes),
            "scale": [float(f"{s:.9g}") for s in self.scale.tolist()],
            "bias": [float(f"{b:.9g}") for b in self.bias.tolist()],
            "weights_int8_zlib_base64": base64.b64encode(payload).decode("ascii"),
        }

    @classmethod
    def from_document(cls, document: dict[str, object]) -> LinearModel:
        classes = tuple(str(name) for name in document["classes"])  # type: ignore[union-attr]
        size = int(document["size"])  # type: ignore[arg-type]
        raw = zlib.decompress(base64.b64decode(str(document["weights_int8_zlib_base64"])))
        quantised = np.frombuffer(raw, dtype=np.int8).reshape(size, len(classes))
        scale = np.asarray(document["scale"], dtype=np.float32)
        bias = np.asarray(document["bias"], dtype=np.float32)
        if not (size & (size - 1) == 0 and scale.shape == bias.shape == (len(classes),)):
            raise ValueError("safety model file is inconsistent (size, scale or bias)")
        return cls(classes, size, quantised, scale, bias)


def quantise(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights and the per-class scale that maps them back (largest weight -> 127)."""
    peak = np.abs(weights).max(axis=0)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    quantised = np.clip(np.rint(weights / scale), -127, 127).astype(np.int8)
    return quantised, scale


@functools.cache
def shipped_model() -> LinearModel:
    """The model in ``content/safety_model.yaml`` (loaded once)."""
    with MODEL_FILE.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return LinearModel.from_document(document)
