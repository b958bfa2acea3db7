"""The learned layer of the safety screen: a small linear model over words and letter groups.

Why it exists: the rules in ``content/redflags.yaml`` are precise but only know the phrasings
someone thought of. People write "chucked up green gunk", "my nether regions have gone all tingly"
or "kms fr": a rule list never ends. A linear model over the *normalised* text (the matcher's typo
repair, synonyms and idiom removal applied first, so "weeing" and "pee" are already one concept)
learns which words and letter groups go with which warning sign from the project's labelled
phrases, and generalises to words it has never seen through their letter groups.

It never answers on its own: :mod:`bot.safety.screen` uses its probabilities only to decide
whether to *ask* one short question (the middle band), see that module's docstring.

Format: ``content/safety_model.yaml`` holds the class names, the hashing size and the weights as
int8 (one scale per class), zlib-compressed and URL-safe base64 (no "/" that a content check could
take for a command) so that the file stays small and
loads without building a large Python structure. Features are hashed (CRC-32) into a fixed number
of buckets, so no vocabulary has to be stored. ``python -m bot.safety.training`` builds it from
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

from bot.base.content import CONTENT_DIR

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
    """Softmax regression over hashed features; ``classes[0]`` is "no warning sign".

    Only buckets that carry a weight are stored (about a third of them): ``rows`` maps a bucket
    to its row of ``quantised``, or to the last row, which is all zeros. In memory that is about
    0.7 MB; a dense float32 matrix would be ten times as much.
    """

    classes: tuple[str, ...]
    size: int
    #: (size,) int32: the row of ``quantised`` for each bucket (the zero row when unused).
    rows: np.ndarray
    #: (used buckets + 1, classes) int8; a weight is ``quantised[row, class] * scale[class]``.
    quantised: np.ndarray
    scale: np.ndarray
    bias: np.ndarray

    @classmethod
    def from_float(
        cls, classes: Sequence[str], weights: np.ndarray, bias: np.ndarray
    ) -> LinearModel:
        """Quantise trained float weights, exactly as the shipped file stores them."""
        quantised, scale = quantise(weights)
        used = np.flatnonzero(np.abs(quantised).sum(axis=1) > 0)
        return cls._from_used(tuple(classes), weights.shape[0], used, quantised[used], scale, bias)

    @classmethod
    def _from_used(
        cls,
        classes: tuple[str, ...],
        size: int,
        used: np.ndarray,
        compact: np.ndarray,
        scale: np.ndarray,
        bias: np.ndarray,
    ) -> LinearModel:
        rows = np.full(size, len(used), dtype=np.int32)
        rows[used] = np.arange(len(used), dtype=np.int32)
        zero = np.zeros((1, len(classes)), dtype=np.int8)
        quantised = np.vstack([compact.astype(np.int8), zero])
        return cls(
            classes, size, rows, quantised, scale.astype(np.float32), bias.astype(np.float32)
        )

    def probabilities(self, clauses: Sequence[str]) -> dict[str, float]:
        """Probability of each class for one message (its normalised clauses)."""
        index = buckets(features(clauses), self.size)
        if index:
            summed = self.quantised[self.rows[index]].sum(axis=0, dtype=np.int32) * self.scale
            scores = summed / math.sqrt(len(index)) + self.bias
        else:
            scores = self.bias.copy()
        scores = scores - scores.max()
        exp = np.exp(scores)
        probs = exp / exp.sum()
        return dict(zip(self.classes, probs.tolist(), strict=True))

    def used_buckets(self) -> np.ndarray:
        return np.flatnonzero(self.rows < len(self.quantised) - 1)

    # ------------------------------------------------------------------ file format
    def to_document(self, note: str = "") -> dict[str, object]:
        """The YAML document for ``content/safety_model.yaml`` (int8 weights, per-class scale)."""
        used = self.used_buckets().astype(np.uint32)
        return {
            "note": note,
            "size": self.size,
            "classes": list(self.classes),
            "scale": [float(f"{s:.9g}") for s in self.scale.tolist()],
            "bias": [float(f"{b:.9g}") for b in self.bias.tolist()],
            "buckets_uint32_zlib_base64": _pack(used.tobytes()),
            "weights_int8_zlib_base64": _pack(self.quantised[:-1].tobytes()),
        }

    @classmethod
    def from_document(cls, document: dict[str, object]) -> LinearModel:
        classes = tuple(str(name) for name in document["classes"])  # type: ignore[union-attr]
        size = int(document["size"])  # type: ignore[arg-type]
        used = np.frombuffer(_unpack(document["buckets_uint32_zlib_base64"]), dtype=np.uint32)
        raw = _unpack(document["weights_int8_zlib_base64"])
        compact = np.frombuffer(raw, dtype=np.int8).reshape(len(used), len(classes))
        scale = np.asarray(document["scale"], dtype=np.float32)
        bias = np.asarray(document["bias"], dtype=np.float32)
        if not (size & (size - 1) == 0 and scale.shape == bias.shape == (len(classes),)):
            raise ValueError("safety model file is inconsistent (size, scale or bias)")
        if len(used) and int(used.max()) >= size:
            raise ValueError("safety model file names a bucket beyond its size")
        return cls._from_used(classes, size, used.astype(np.int64), compact, scale, bias)


def _pack(data: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii")


def _unpack(text: object) -> bytes:
    return zlib.decompress(base64.urlsafe_b64decode(str(text)))


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
