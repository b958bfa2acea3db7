"""Text matching for the safety screen: normalising, typo repair, clauses, negation, idioms.

Why its own module: the rules (what counts as a warning sign) are data in ``content/redflags.yaml``;
this module is the small, pure machine that applies them. Everything is compiled once, on first
use, so that screening a diary line costs a few hundred microseconds (see ``bench/safety.py``).

Pattern language used in the YAML (matched against normalised words, apostrophes dropped, so
"can't" is written ``cant``):

* words separated by spaces must follow each other (``cant pee`` matches "can't pee");
* ``(a|b c|d)`` one of several words or phrases, ``(...)?`` optional;
* ``word*`` any word starting with ``word`` (``numb*`` matches numb, numbness, numbish);
* ``...`` up to three other words in between;
* ``re:<regex>`` a raw regular expression over the normalised clause (words separated by spaces);
* ``a & b`` both parts somewhere in the same clause, in any order (people put words in any order:
  "both my legs feel heavy and weak"). If any part is negated, the whole match is negated;
* ``a && b`` both parts somewhere in the message (``~b``: b's negation does not count);
* ``? pattern`` a weak pattern, one that also fits near-misses: it makes the screen ask, never
  answer ("gave the cat to my neighbour" asks the crisis question);
* ``pattern !! words`` the pattern does not count when ``words`` are in the same sentence
  ("counted my tablets !! repeat prescription").

Negation is scoped to the clause: punctuation and words such as "but" end it, and a new subject
("no fever and I can't feel my bum") ends its reach. Other scopes reach further, over the
clause's sentence (see :meth:`Matcher.scopes`): "imagine ...", "if ... would ...", a resolution
that looks one clause back ("..., turned out she hadn't eaten") and a denial that answers what
came before ("..., none of that"). When in doubt the screen reports the sign: missing a real
emergency costs far more than an unneeded "please get checked".

Other languages: when the screen knows the message's language (:mod:`bot.safety.language`),
the phrases of ``translations`` in ``redflags.yaml`` are put into English words first.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.base.fuzzy import within_one_edit as damerau1
from bot.safety.rules import RedFlagFile

_TOKEN_RE = re.compile(r"[^\W_]+|[|\ue000\ue001]")
#: Sentence ends: "?" is kept apart (a question) from ".", "!" and line breaks.
_QUESTION_RE = re.compile(r"\?+")
_SENTENCE_RE = re.compile(r"(?<!\d)[.!\n\r]+|[.!\n\r]+(?!\d)")
_END = "\ue000"
_QUESTION = "\ue001"
_TEMPLATE_TOKEN_RE = re.compile(r"\.\.\.|\(|\)\??|\||[^\s()|]+")
_CLAUSE_PUNCT_RE = re.compile(r"[.,;:!?\n\r\t()\[\]{}\"<>]+|\s[-–—]+\s|[–—]")
_DECIMAL_RE = re.compile(r"(\d)[.,](\d)")
_UNIT_RE = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_REPEAT_RE = re.compile(r"([a-z])\1{2,}")
_APOSTROPHES = str.maketrans({"'": "", "’": "", "‘": "", "`": "", "´": "", "ʼ": ""})
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
GAP = r"(?:\S+ ){0,3}"
#: A one-letter substitution often turns one real word into another (shaving/shaking,
#: threw/three), so substitutions are only repaired in long words; inserted, dropped or swapped
#: letters ("feaver", "sucidal", "numbess") are repaired from five letters up.
_MIN_SUBSTITUTION = 8


def _fold(text: str) -> str:
    """Lower case, accents removed, quotes straightened, apostrophes dropped."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES).translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower()


def _swapped(a: str, b: str) -> bool:
    """True when equal-length ``a`` and ``b`` differ by two adjacent letters swapped."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1


def _inflected(token: str, word: str) -> bool:
    """True when ``token`` is ``word`` with an ending ("settled", "numbs"), not a typo of it."""
    return len(token) == len(word) + 1 and token.startswith(word) and token[-1] in "sdy"


def _anchored(anchor: str, words: set[str]) -> bool:
    """True when ``words`` contain the anchor word (or, for ``word*``, a word it starts)."""
    if anchor.endswith("*"):
        return any(word.startswith(anchor[:-1]) for word in words)
    return anchor in words


def _as_tuple(entry: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if entry is None:
        return ()
    return (entry,) if isinstance(entry, str) else entry


def _deletes(word: str) -> Iterator[str]:
    yield word
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]


_SYNTAX = frozenset({"...", "(", ")", ")?", "|", "&", "<num>"})

#: Words too common to be a good anchor (a clause with "my" would try half the patterns).
_COMMON = frozenset(
    {
        *("i", "im", "ive", "id", "my", "me", "it", "its", "the", "a", "an", "and", "or", "to"),
        *("in", "of", "on", "at", "for", "with", "when", "up", "down", "off", "out", "be"),
        *("been", "was", "were", "is", "are", "am", "have", "has", "had", "this", "that", "so"),
        *("just", "not", "no", "dont", "cant", "didnt", "all", "any", "some", "feel", "feels"),
        *("felt", "get", "got", "go", "going", "like", "after", "from", "by", "as", "if", "now"),
    }
)


def _anchor_cost(anchor: frozenset[str]) -> tuple[int, int]:
    common = sum(1 for word in anchor if word.rstrip("*") in _COMMON or len(word) <= 2)
    return (common, len(anchor))


def _parse(tokens: list[str], i: int) -> tuple[list[object], int]:
    """Template tokens -> nested list: words, and (alternatives, optional) for groups."""
    sequence: list[object] = []
    while i < len(tokens):
        token = tokens[i]
        if token == "(":
            alternatives: list[list[object]] = []
            i += 1
            while True:
                branch, i = _parse(tokens, i)
                alternatives.append(branch)
                if i >= len(tokens) or tokens[i] != "|":
                    break
                i += 1
            optional = i < len(tokens) and tokens[i] == ")?"
            sequence.append((alternatives, optional))
            i += 1
        elif token in {")", ")?", "|"}:
            return sequence, i
        else:
            sequence.append(token)
            i += 1
    return sequence, i


_MARKS = frozenset({"|", _END, _QUESTION})


@dataclass(frozen=True, slots=True)
class Parsed:
    """A message as the matcher reads it: clauses, and which sentence each belongs to.

    Clauses end at commas, "but" and the like; sentences at ".", "!", "?" and line breaks. Some
    scopes reach over a whole sentence ("imagine I got a fever with my back, would I need to see
    someone?"), so both are kept.
    """

    clauses: list[str]
    #: The sentence number of each clause.
    sentence: list[int]
    #: True for each clause of a sentence that ended with "?".
    question: list[bool]

    def same_sentence(self, index: int) -> list[int]:
        return [i for i, number in enumerate(self.sentence) if number == self.sentence[index]]


@dataclass(frozen=True, slots=True)
class Hit:
    """One pattern match inside one clause, with what the clause says about it."""

    name: str
    clause: int
    negated: bool
    past: bool
    #: The clause is a question or a "what if" ("should I worry if my poo goes black?").
    hypothetical: bool = False
    #: The clause is about someone else ("my sister is pregnant and her back hurts").
    other: bool = False
    #: Only a weak pattern matched (one that also fits near-misses): ask, do not answer.
    weak: bool = False


class Matcher:
    """Compiled form of ``redflags.yaml``: call :meth:`hits` with any text."""

    def __init__(self, rules: RedFlagFile) -> None:
        self.rules = rules
        self._synonyms: dict[str, str] = {}
        for canonical, variants in rules.synonyms.items():
            for variant in variants:
                self._synonyms[_fold(variant)] = _fold(canonical)
        # Each rewrite and idiom keeps the words one of which any match must contain: a
        # substring test skips the regular expression for most of them (a few hundred a message).
        self._rewrites = [
            (
                self._needles(self._anchor(src)),
                re.compile(rf"(?<= ){self._literal(src)} "),
                f"{_fold(dst)} ",
            )
            for src, dst in rules.rewrites.items()
        ]
        self._number_rewrites = [
            (re.compile(pattern), replacement)
            for pattern, replacement in rules.number_rewrites.items()
        ]
        self._not_typos = {_fold(word) for word in rules.not_typos}
        self._translations: dict[str, tuple[re.Pattern[str], dict[str, str]]] = {}
        for code, phrases in rules.translations.items():
            words = {_fold(phrase): _fold(english) for phrase, english in phrases.items()}
            alternatives = "|".join(re.escape(p) for p in sorted(words, key=len, reverse=True))
            self._translations[code] = (
                re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])"),
                words,
            )
        neg = rules.negation
        self._cues = [tuple(self._words(cue)) for cue in neg.cues]
        #: The cues by their first word, in their written order: a position only tries the
        #: cues that start with its word.
        self._cues_by_first: dict[str, list[tuple[str, ...]]] = {}
        for cue in self._cues:
            if cue:
                self._cues_by_first.setdefault(cue[0], []).append(cue)
        self._not_after_no = {self._canon(w) for w in neg.not_after_no}
        self._not_after_not = {self._canon(w) for w in neg.not_after_not}
        self._scope_breakers = {self._canon(w) for w in neg.scope_breakers}
        self._clause_breakers = re.compile(
            r"(?<= )(?:" + "|".join(self._literal(w) for w in neg.clause_breakers) + r") "
        )
        self._never_voided = [self._compile(p) for p in neg.never_voided_by]
        self._idioms = [
            (self._needles(None if p.startswith("re:") else self._anchor(p)), self._compile(p))
            for p in rules.idioms
        ]
        self._past = [self._compile(p) for p in rules.past_markers]
        self._hypothetical = [self._compile(p) for p in rules.scopes.hypothetical]
        self._present = [self._compile(p) for p in rules.scopes.present]
        self._others = {self._canon(w) for w in rules.scopes.other_people}
        self._other_pronouns = {self._canon(w) for w in rules.scopes.other_pronouns}
        self._first_person = {self._canon(w) for w in rules.scopes.first_person}
        self._other_past = {self._canon(w) for w in rules.scopes.other_past}
        self._explanations = [self._compile(p) for p in rules.scopes.colour_explanations]
        self._conditional = [self._compile(p) for p in rules.scopes.conditional]
        self._consequence = [self._compile(p) for p in rules.scopes.consequence]
        self._resolved = [self._compile(p) for p in rules.scopes.resolved]
        self._back_denials = [self._compile(p) for p in neg.back_denials]

        # Every pattern is compiled once and indexed by an "anchor": a set of words of which at
        # least one must be in the clause for the pattern to have a chance. A clause then only
        # tries the few patterns whose anchors it contains (this is what keeps screening fast).
        # Contexts are named "@name" so they never clash with flag ids.
        self._compiled: list[tuple[str, tuple[re.Pattern[str], ...]]] = []
        self._always: list[int] = []
        self._anchor_words: dict[str, list[int]] = {}
        self._anchor_prefixes: list[tuple[str, int]] = []
        named: list[tuple[str, list[str]]] = [
            (f"@{name}", patterns) for name, patterns in rules.contexts.items()
        ]
        named += [(flag.id, flag.patterns) for flag in rules.flags]
        vocabulary: set[str] = set(self._synonyms) | set(self._synonyms.values())
        #: Patterns with " && ": every part somewhere in the message, each in any clause.
        self._message_patterns: list[
            tuple[
                str,
                tuple[re.Pattern[str], ...],
                tuple[bool, ...],
                frozenset[str],
                bool,
                re.Pattern[str] | None,
            ]
        ] = []
        self._unless = {
            flag.id: [self._compile(p) for p in flag.unless] for flag in rules.flags if flag.unless
        }
        #: Per compiled pattern: weak (asks only) and the exception that cancels it in a sentence.
        self._marks: list[tuple[bool, re.Pattern[str] | None]] = []
        for name, patterns in named:
            for written in patterns:
                pattern, weak, exception = self._pattern_marks(written)
                if " && " in pattern:
                    raw = [part.strip() for part in pattern.split(" && ")]
                    qualifiers = tuple(part.startswith("~") for part in raw)
                    parts = [part.lstrip("~") for part in raw]
                    anchors = [self._anchor(part) for part in parts]
                    usable = [a for a in anchors if a is not None]
                    anchor = min(usable, key=_anchor_cost) if usable else frozenset()
                    self._message_patterns.append(
                        (
                            name,
                            tuple(self._compile(part) for part in parts),
                            qualifiers,
                            anchor,
                            weak,
                            exception,
                        )
                    )
                    for part in parts:
                        if not part.startswith("re:"):
                            for token in _TEMPLATE_TOKEN_RE.findall(part):
                                if token not in _SYNTAX and not token.endswith("*"):
                                    vocabulary.add(_fold(token))
                    continue
                parts = [part.strip() for part in pattern.split(" & ")]
                index = len(self._compiled)
                self._compiled.append((name, tuple(self._compile(part) for part in parts)))
                self._marks.append((weak, exception))
                anchors = [self._anchor(part) for part in parts]
                usable = [a for a in anchors if a is not None]
                if not usable:
                    self._always.append(index)
                else:
                    for word in min(usable, key=_anchor_cost):
                        if word.endswith("*"):
                            self._anchor_prefixes.append((word[:-1], index))
                        else:
                            self._anchor_words.setdefault(word, []).append(index)
                for part in parts:
                    if part.startswith("re:"):
                        continue
                    for token in _TEMPLATE_TOKEN_RE.findall(part):
                        if token not in _SYNTAX and not token.endswith("*"):
                            vocabulary.add(_fold(token))
        for source in [*rules.rewrites, *rules.rewrites.values()]:
            vocabulary.update(_TOKEN_RE.findall(_fold(source)))
        vocabulary.update(_fold(word) for word in rules.known_words)
        self._vocabulary = frozenset(vocabulary)
        # Each variant maps to one word, or to a tuple when several words share it: a dozen
        # thousand small sets would cost more than a megabyte of the bot's memory budget.
        self._typo_index: dict[str, str | tuple[str, ...]] = {}
        for word in sorted(self._vocabulary):
            if len(word) >= 5 and word.isalpha() and word not in self._not_typos:
                for variant in _deletes(word):
                    known = self._typo_index.get(variant)
                    if known is None:
                        self._typo_index[variant] = word
                    elif isinstance(known, str):
                        if known != word:
                            self._typo_index[variant] = (known, word)
                    elif word not in known:
                        self._typo_index[variant] = (*known, word)
        self._bare_denials = frozenset(
            {"no", "none", "nope", "nil", "said no", "answered no", "no to all", "no to both"}
        )

    # ---------------------------------------------------------------- compiling
    def _pattern_marks(self, written: str) -> tuple[str, bool, re.Pattern[str] | None]:
        """``? pattern`` is weak (asks, never answers); ``pattern !! words`` is cancelled by
        ``words`` anywhere in the same sentence ("counted my tablets !! repeat")."""
        weak = written.startswith("? ")
        pattern = written[2:] if weak else written
        exception = None
        if " !! " in pattern:
            pattern, _, excluded = pattern.partition(" !! ")
            exception = self._compile(excluded.strip())
        return pattern.strip(), weak, exception

    def _canon(self, word: str) -> str:
        word = _fold(word)
        return self._synonyms.get(word, word)

    def _words(self, phrase: str) -> list[str]:
        return [self._canon(w) for w in _TOKEN_RE.findall(_fold(phrase)) if w != "|"]

    def _literal(self, phrase: str) -> str:
        return " ".join(re.escape(w) for w in self._words(phrase))

    def _compile(self, pattern: str) -> re.Pattern[str]:
        if pattern.startswith("re:"):
            return re.compile(pattern[3:])
        out = ["(?<= )"]
        for token in _TEMPLATE_TOKEN_RE.findall(pattern):
            if token == "...":
                out.append(GAP)
            elif token == "<num>":
                out.append(r"\d+ ")
            elif token == "(":
                out.append("(?:")
            elif token in {")", ")?", "|"}:
                out.append(token)
            elif token.endswith("*"):
                out.append(re.escape(_fold(token[:-1])) + r"\S* ")
            else:
                out.append("".join(re.escape(w) + " " for w in self._words(token)))
        return re.compile("".join(out))

    @staticmethod
    def _needles(anchor: frozenset[str] | None) -> tuple[str, ...] | None:
        """Substrings of the joined text (" word " or " prefix") one of which a match needs."""
        if not anchor:
            return None
        return tuple(" " + w[:-1] if w.endswith("*") else " " + w + " " for w in sorted(anchor))

    def _anchor(self, template: str) -> frozenset[str] | None:
        """Words (``word*`` for prefixes) of which any match of ``template`` contains one."""
        if template.startswith("re:"):
            return None
        sequence, _ = _parse(_TEMPLATE_TOKEN_RE.findall(template), 0)
        return self._sequence_anchor(sequence)

    def _sequence_anchor(self, sequence: list[object]) -> frozenset[str] | None:
        options: list[frozenset[str]] = []
        for element in sequence:
            if isinstance(element, str):
                if element in {"...", "<num>"}:
                    continue
                if element.endswith("*"):
                    options.append(frozenset({_fold(element[:-1]) + "*"}))
                else:
                    words = self._words(element)
                    if words:
                        options.append(frozenset({max(words, key=len)}))
                continue
            alternatives, optional = element  # type: ignore[misc]
            if optional:
                continue
            union: set[str] = set()
            for alternative in alternatives:
                anchor = self._sequence_anchor(alternative)
                if anchor is None:
                    union = set()
                    break
                union |= anchor
            if union:
                options.append(frozenset(union))
        return min(options, key=_anchor_cost) if options else None

    # ---------------------------------------------------------------- normalising
    @functools.lru_cache(maxsize=8192)  # noqa: B019 - one Matcher per process, cache is bounded
    def _fix_token(self, token: str) -> str:
        if token in self._vocabulary or token.isdigit():
            return self._synonyms.get(token, token)
        if token in self._synonyms:
            return self._synonyms[token]
        single = re.sub(r"([a-z])\1", r"\1", token)
        if single != token and single in self._vocabulary:
            return self._synonyms.get(single, single)
        if len(token) >= 5 and token.isalpha() and token not in self._not_typos:
            found = sorted(
                word
                for variant in _deletes(token)
                for word in _as_tuple(self._typo_index.get(variant))
                if word[0] == token[0]
                # "settled" is settle's past, not a typo of it: an ending is not repaired away,
                # nor added ("plate" is not a typo of "plates").
                and not _inflected(token, word)
                and not _inflected(word, token)
                and damerau1(token, word)
                and (
                    len(word) != len(token)
                    or len(token) >= _MIN_SUBSTITUTION
                    or _swapped(token, word)
                )
            )
            if found:
                return self._synonyms.get(found[0], found[0])
        return token

    def parse(self, text: str, language: str | None = None) -> Parsed:
        """Normalised clauses with the sentence each belongs to (see :class:`Parsed`).

        ``language``: the message's language when it is confidently not English; its phrases in
        ``translations`` are put into English words first.
        """
        text = _fold(text)
        translation = self._translations.get(language or "")
        if translation is not None:
            pattern, words = translation
            text = pattern.sub(lambda match: words[match.group(0)], text)
        text = _REPEAT_RE.sub(r"\1\1", text)
        text = _DECIMAL_RE.sub(r"\1 \2", text)
        text = _UNIT_RE.sub(" ", text)
        text = _QUESTION_RE.sub(f" {_QUESTION} ", text)
        text = _SENTENCE_RE.sub(f" {_END} ", text)
        text = _CLAUSE_PUNCT_RE.sub(" | ", text)
        tokens = [t if t in _MARKS else self._fix_token(t) for t in _TOKEN_RE.findall(text)]
        joined = " " + " ".join(tokens) + " "
        for pattern, replacement in self._number_rewrites:
            joined = pattern.sub(replacement, joined)
        for needles, pattern, replacement in self._rewrites:
            if needles is None or any(needle in joined for needle in needles):
                joined = pattern.sub(replacement, joined)
        for needles, idiom in self._idioms:
            if needles is None or any(needle in joined for needle in needles):
                joined = idiom.sub("idiom ", joined)
        joined = self._clause_breakers.sub("| ", joined)
        clauses: list[str] = []
        sentence: list[int] = []
        question: list[bool] = []
        number = 0
        for part in re.split(f"([{_END}{_QUESTION}])", joined):
            if part in (_END, _QUESTION):
                if sentence and sentence[-1] == number:
                    if part == _QUESTION:
                        for i in range(len(question) - 1, -1, -1):
                            if sentence[i] != number:
                                break
                            question[i] = True
                    number += 1
                continue
            for piece in part.split("|"):
                words = piece.split()
                if words:
                    clauses.append(" " + " ".join(words) + " ")
                    sentence.append(number)
                    question.append(False)
        return Parsed(clauses, sentence, question)

    def clauses(self, text: str) -> list[str]:
        """Normalised clauses, each as ``" word word ... "`` (leading and trailing space)."""
        return self.parse(text).clauses

    # ---------------------------------------------------------------- negation
    def _cue_at(self, tokens: list[str], j: int, end: int, clause: str) -> bool:
        for cue in self._cues_by_first.get(tokens[j], ()):
            n = len(cue)
            if j + n > end or tuple(tokens[j : j + n]) != cue:
                continue
            after = tokens[j + n] if j + n < len(tokens) else ""
            if cue == ("no",) and after in self._not_after_no:
                continue
            if cue == ("not",) and after in self._not_after_not:
                continue
            if cue[0] == "never" and any(p.search(clause) for p in self._never_voided):
                continue
            return True
        return False

    def _negated(self, tokens: list[str], start: int, stop: int, clause: str) -> bool:
        window = self.rules.negation.window
        for j in range(start - 1, max(-1, start - 1 - window), -1):
            if self._cue_at(tokens, j, start, clause):
                return True
            if tokens[j] in self._scope_breakers:
                return False
        after = tokens[stop : stop + 2]
        if after[:1] and after[0] in {"none", "nope", "negative", "nil"}:
            return True
        return after == ["no"]

    # ---------------------------------------------------------------- matching
    @functools.lru_cache(maxsize=8192)  # noqa: B019
    def _candidates(self, token: str) -> tuple[int, ...]:
        found = list(self._anchor_words.get(token, ()))
        found += [index for prefix, index in self._anchor_prefixes if token.startswith(prefix)]
        return tuple(found)

    def hits(self, text: str, parsed: Parsed | None = None) -> list[Hit]:
        """Every flag or context (``@name``) found in ``text``, with negation and scope marks.

        ``parsed`` may be passed when the caller already has ``self.parse(text)``.
        """
        result: list[Hit] = []
        if parsed is None:
            parsed = self.parse(text)
        clauses = parsed.clauses
        scopes = self.scopes(parsed)
        for index, clause in enumerate(clauses):
            tokens = clause.split()
            candidates: set[int] = set(self._always)
            for token in tokens:
                candidates.update(self._candidates(token))
            past, hypothetical, other, denied = scopes[index]
            for pattern_index in sorted(candidates):
                name, parts = self._compiled[pattern_index]
                negated = self._match(parts, tokens, clause)
                if negated is None:
                    continue
                weak, exception = self._marks[pattern_index]
                if exception is not None and self._in_sentence(exception, parsed, index):
                    continue
                result.append(Hit(name, index, denied or negated, past, hypothetical, other, weak))
        result.extend(self._message_hits(parsed, scopes))
        return result

    def scopes(self, parsed: Parsed) -> list[tuple[bool, bool, bool, bool]]:
        """(past, hypothetical, someone else, denied) for each clause.

        A clause's own words decide first; then scopes reach over the clause's sentence: a
        conditional ("imagine", "supposing", "if ... would"), a resolution that looks one clause
        back ("..., turned out she hadn't eaten", "..., fine once I stood up"), and a denial that
        answers what came before ("asked about numbness down below, none of that").
        """
        clauses = parsed.clauses
        scopes: list[list[bool]] = []
        previous_opened_negated = False
        carried_past = False
        presents: list[bool] = []
        for index, clause in enumerate(clauses):
            tokens = clause.split()
            carried = previous_opened_negated and tokens[0] in {"or", "nor"}
            past = any(p.search(clause) for p in self._past)
            present = any(p.search(clause) for p in self._present)
            # A past event's clause ends at a comma, not its story: "had food poisoning last
            # summer, threw up for 3 days" is one past event, until something says "now".
            past = (past or carried_past) and not present
            carried_past = past
            hypothetical = any(p.search(clause) for p in self._hypothetical)
            other = self._about_someone_else(tokens)
            if other and not present and any(token in self._other_past for token in tokens):
                past = True
            denied = carried or self._denied_after(clauses, index)
            previous_opened_negated = self._opens_negated(tokens, clause)
            scopes.append([past, hypothetical, other, denied])
            presents.append(present)
        for members in self._sentences(parsed):
            texts = [clauses[i] for i in members]
            # "..., actually it started an hour ago": something said now ends the "if".
            if self._conditional_sentence(texts) and not any(presents[i] for i in members):
                for i in members:
                    scopes[i][1] = True
            for position, i in enumerate(members):
                if self._affirmed(self._resolved, clauses[i]):
                    # Its own clause and the one before: "fainted at work, turned out she
                    # hadn't eaten". Not further: "numb bum, bowels fine since" must still count.
                    scopes[i][0] = True
                    if position and not presents[members[position - 1]]:
                        scopes[members[position - 1]][0] = True
                if position and any(p.search(clauses[i]) for p in self._back_denials):
                    for j in members[:position]:
                        scopes[j][3] = True
        return [(p, h, o, d) for p, h, o, d in scopes]

    @staticmethod
    def _sentences(parsed: Parsed) -> list[list[int]]:
        groups: dict[int, list[int]] = {}
        for index, number in enumerate(parsed.sentence):
            groups.setdefault(number, []).append(index)
        return list(groups.values())

    def _conditional_sentence(self, texts: list[str]) -> bool:
        """A sentence about something that might happen, not something that did."""
        if any(p.search(text) for p in self._conditional for text in texts):
            return True
        if not any(text.startswith((" if ", " even if ", " what if ")) for text in texts):
            return False
        # Not a bare "?": "if I cough my back is agony, is that normal?" is a real sign.
        return any(p.search(text) for p in self._consequence for text in texts)

    def _in_sentence(self, pattern: re.Pattern[str], parsed: Parsed, index: int) -> bool:
        """``pattern`` matches, not denied, in a clause of the sentence of clause ``index``."""
        return any(
            self._affirmed((pattern,), parsed.clauses[i]) for i in parsed.same_sentence(index)
        )

    def _affirmed(self, patterns: Iterable[re.Pattern[str]], clause: str) -> bool:
        """One of ``patterns`` matches in ``clause`` and is not negated ("hasn't gone away")."""
        tokens: list[str] | None = None
        for pattern in patterns:
            for match in pattern.finditer(clause):
                if tokens is None:
                    tokens = clause.split()
                start = clause.count(" ", 0, match.start()) - 1
                stop = clause.count(" ", 0, match.end()) - 1
                if not self._negated(tokens, start, stop, clause):
                    return True
        return False

    def _message_hits(
        self, parsed: Parsed, scopes: list[tuple[bool, bool, bool, bool]]
    ) -> list[Hit]:
        """Patterns whose parts may sit in different clauses ("lost a stone, not dieting")."""
        clauses = parsed.clauses
        words = {word for clause in clauses for word in clause.split()}
        found: list[Hit] = []
        split = [clause.split() for clause in clauses]
        # Every word of the message with each of its beginnings, so that an anchor ("numb*" or
        # "numb") is one set look-up, not a scan of the words per pattern.
        starts = {word[:end] + "*" for word in words for end in range(1, len(word) + 1)}
        present = words | starts
        for name, parts, qualifiers, anchor, weak, exception in self._message_patterns:
            if anchor and present.isdisjoint(anchor):
                continue
            places: list[tuple[int, bool]] = []
            for part, qualifier in zip(parts, qualifiers, strict=True):
                place = None
                for index, clause in enumerate(clauses):
                    for match in part.finditer(clause):
                        start = clause.count(" ", 0, match.start()) - 1
                        stop = clause.count(" ", 0, match.end()) - 1
                        negated = not qualifier and (
                            scopes[index][3] or self._negated(split[index], start, stop, clause)
                        )
                        if place is None or (place[1] and not negated):
                            place = (index, negated)
                        if not negated:
                            break
                    if place is not None and not place[1]:
                        break
                if place is None:
                    break
                places.append(place)
            else:
                first = places[0][0]
                if exception is not None and self._in_sentence(exception, parsed, first):
                    continue
                found.append(
                    Hit(
                        name,
                        first,
                        any(negated for _, negated in places),
                        any(scopes[i][0] for i, _ in places),
                        any(scopes[i][1] for i, _ in places),
                        scopes[first][2],
                        weak,
                    )
                )
        return found

    def vetoed(self, flag_id: str, parsed: Parsed, clause: int) -> bool:
        """True when one of the flag's ``unless`` phrases is in the sign's sentence, not denied.

        The sentence, not the message: "did squats yesterday. today both legs are numb" is not
        explained by the squats.
        """
        return any(
            self._in_sentence(pattern, parsed, clause) for pattern in self._unless.get(flag_id, ())
        )

    def _match(
        self, parts: tuple[re.Pattern[str], ...], tokens: list[str], clause: str
    ) -> bool | None:
        """None: no match. False: a match that is not negated. True: only negated matches."""
        negated = False
        for part in parts:
            found = False
            part_negated = True
            for match in part.finditer(clause):
                found = True
                start = clause.count(" ", 0, match.start()) - 1
                stop = clause.count(" ", 0, match.end()) - 1
                if not self._negated(tokens, start, stop, clause):
                    part_negated = False
                    break
            if not found:
                return None
            negated = negated or part_negated
        return negated

    def _about_someone_else(self, tokens: list[str]) -> bool:
        """True when a clause names another person and never the writer ("my mum has ...")."""
        mentions_other = False
        for i, token in enumerate(tokens):
            if (
                token in self._others
                or token in self._other_pronouns
                or (token.endswith("s") and token[:-1] in self._others)  # "nans", "sons"
            ):
                mentions_other = True
            elif token in self._first_person:
                following = tokens[i + 1 : i + 4]
                # "my best mate", "my little brother", "my 15 year old son"; "me da" (me = my).
                if token in {"my", "our", "me"} and self._others.intersection(following):
                    continue
                return False
        return mentions_other

    def explained_colour(self, parsed: Parsed) -> bool:
        """A food or medicine that colours poo or pee is named, and not denied ("beetroot")."""
        return any(self._affirmed(self._explanations, clause) for clause in parsed.clauses)

    def _denied_after(self, clauses: list[str], index: int) -> bool:
        """A clause answered by a bare "no" in the next one ("numbness around my bum? said no")."""
        if index + 1 >= len(clauses):
            return False
        return clauses[index + 1].strip() in self._bare_denials

    def _opens_negated(self, tokens: list[str], clause: str) -> bool:
        return bool(tokens) and self._cue_at(tokens, 0, len(tokens), clause)

    def vocabulary(self) -> Iterable[str]:
        return self._vocabulary
