"""Reading a free-text diary line: foods, symptoms, back pain, stress, sleep, stool type, day.

"pizza and a coke, bloated, back 6/10" should land in the diary without a single button. The parser
is rules, not a model, so every result can be explained and the bench runs in microseconds:

- Foods come from the lexicon (``bot.knowledge.foods``); symptoms from the small table below.
  A food word is not a meal when its clause says it came up ("threw up something like coffee
  grounds"), is a comparison ("looked like red wine") or is a drug ("a line of coke").
- Negation: "no", "not", "without", "didn't", "skipped" ... switch off the symptoms and foods that
  follow, up to four words and never past a comma or a "but/and/after/with"; "bloating: none" and
  "pain free" work the other way round. Negated symptoms are kept apart (a clear "no bloating" is
  worth recording), negated foods are dropped.
- Back pain is 0-10 and only taken from a clear score: "back 6/10", "pain 7", "back is a 4 today",
  "pain: 3 out of 10", "back pain six", "7/10". Numbers that count things ("2 coffees"), times
  ("3pm", "2 days"), ranges ("6-7"), scores above 10 and two different scores give no pain (None),
  because a wrong number in a pain diary is worse than a missing one. "no back pain" and "pain
  free" are 0. Pain in another body part ("stomach pain 6") is not back pain.
- Stress and sleep use the check-in's 1-5 scales (stress 5 = very stressed, sleep 5 = very well).
  A number counts when it names the scale ("stress 4/5", "sleep 2"); "/10" scores and hours slept
  are not converted. Clear words count too: "slept badly" = 2, "slept terribly" = 1, "slept ok" = 3,
  "slept well" = 4, "slept great" = 5; "not stressed"/"relaxed" = 1, "a bit stressed" = 3,
  "stressed" = 4, "very stressed"/"stressed out" = 5.
- Bristol stool type 1-7: "bristol 4", "type 6 stool", "stool type 3".
- Day: "yesterday" = -1, "day before yesterday" = -2, "last night" = -1 for food and symptoms;
  "slept badly last night" on its own belongs to today, as the morning check-in asks about the
  night just gone. A line that names two days ("had pizza last night ... back is 7 today") is
  split by :func:`split_by_day`, each part for its own day.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.knowledge.foods import PhraseIndex, Token, lexicon, normalise, tokenize

#: Words and phrases for each symptom id in ``bot.base.vocabulary.SYMPTOMS``. Parser vocabulary, not
#: wording: what a person reads about a symptom lives in content/wording.yaml.
SYMPTOM_WORDS: dict[str, tuple[str, ...]] = {
    "bloating": (
        "bloating",
        "bloated",
        "bloat",
        "bloaty",
        "swollen belly",
        "swollen stomach",
        "swollen tummy",
        "distended",
        "puffed up",
        "full of air",
        "blown up",
    ),
    "gas": (
        "gas",
        "gassy",
        "wind",
        "windy",
        "trapped wind",
        "fart",
        "farting",
        "farty",
        "flatulence",
        "flatulent",
        "burping",
        "burps",
        "burp",
        "belching",
        "tooting",
    ),
    "constipation": (
        "constipation",
        "constipated",
        "bunged up",
        "blocked up",
        "couldnt go",
        "cant go",
        "could not go",
        "hard stool",
        "hard stools",
        "hard poo",
        "no poo",
        "straining",
    ),
    "diarrhoea": (
        "diarrhoea",
        "diarrhea",
        "diarhea",
        "diarrhoe",
        "diahorrea",
        "diarrohea",
        "diarrhoea",
        "the runs",
        "the trots",
        "loose stool",
        "loose stools",
        "loose poo",
        "watery stool",
        "watery poo",
        "runny poo",
        "upset tummy",
    ),
    "reflux": (
        "reflux",
        "acid reflux",
        "heartburn",
        "heart burn",
        "indigestion",
        "acid",
        "acidy",
        "gerd",
    ),
    "cramps": (
        "cramps",
        "cramping",
        "crampy",
        "stomach cramps",
        "tummy cramps",
        "stomach ache",
        "stomachache",
        "tummy ache",
        "tummyache",
        "belly ache",
        "bellyache",
        "stomach pain",
        "tummy pain",
        "belly pain",
        "gut pain",
        "abdominal pain",
        "sore stomach",
        "sore tummy",
        "sore belly",
        "gut ache",
    ),
    "nausea": (
        "nausea",
        "nauseous",
        "nauseated",
        "queasy",
        "felt sick",
        "feel sick",
        "feeling sick",
        "sick to my stomach",
        "nauseaus",
        "want to throw up",
        "wanted to throw up",
    ),
}

_NEGATORS = frozenset(
    {
        "no",
        "not",
        "without",
        "never",
        "zero",
        "nothing",
        "none",
        "didnt",
        "dont",
        "doesnt",
        "wasnt",
        "isnt",
        "havent",
        "hasnt",
        "hadnt",
        "werent",
        "arent",
        "skipped",
        "avoided",
        "nil",
        "free",
        "nope",
        "cut",
    }
)
_BOUNDARIES = frozenset(
    {
        "but",
        "though",
        "although",
        "however",
        "then",
        "after",
        "with",
        "and",
        "still",
        "yet",
        "because",
        "cos",
        "since",
        "except",
        "plus",
        "also",
    }
)
_AFTER_NEGATORS = frozenset({"none", "free", "gone", "no", "nil", "0", "zero"})
_NEGATION_REACH = 4

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_NUM = r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
_UNITS = (
    r"(?:h|hr|hrs|hour|hours|min|mins|minutes|am|pm|days?|weeks?|months?|years?|times|x|kg|lbs?"
    r"|k|km|miles?|steps|cups?|glass(?:es)?|cans?|pints?|coffees?|beers?|teas?|slices?|pieces?"
    r"|bottles?|%)\b"
)
_NOT_A_SCORE_AFTER = r"(?!\s*(?:[-–]\s*\d|\.\d|:\d|/\s*5\b|out of 5\b|or \d|to \d|" + _UNITS + r"))"
_FILLER = (
    r"(?:\s+(?:pain|is|was|at|a|about|around|approx|level|levels|score|of|today|tonight|now|this"
    r"|morning|evening|feels?|felt|like|maybe|prob|probably|still|currently|rated|ache|aching|only"
    r"|pretty|sitting|back|hurts|hurting|sore|so|its|it|the|lower|upper|my|think|id|say|rate))*"
)
_PAIN_AFTER_WORD = re.compile(
    r"\b(?P<where>\w+\s+)?(?:backs?|backache|pain|sciatica|spine)\b"
    + _FILLER
    + r"\s*[:=\-]?\s*"
    + _NUM
    + r"\b"
    + _NOT_A_SCORE_AFTER
)
_OUT_OF_TEN = re.compile(r"(?<![\d/.])" + _NUM + r"\s*(?:/|out of|outta|of)\s*10\b")
_NO_PAIN = re.compile(r"\b(?:no (?:back )?pain|(?:back )?pain free|painless|zero pain)\b")
_OTHER_BODY = frozenset(
    {
        "stomach",
        "tummy",
        "belly",
        "gut",
        "abdominal",
        "head",
        "period",
        "tooth",
        "chest",
        "ear",
        "knee",
        "foot",
        "shoulder",
        "wrist",
    }
)
_OTHER_SCALE_BEFORE = re.compile(r"\b(stress\w*|sleep\w*|slept|bristol|stool|type|mood)\W*$")

_STRESS_NUMBER = re.compile(
    r"\bstress(?:ed|ful)?(?:\s+(?:level|levels|is|was|at|about|a|around|today|score|like))*"
    r"\s*[:=\-]?\s*" + _NUM + r"\b(?:\s*(?:/|out of)\s*(\d+))?" + r"(?!\s*[-–]\s*\d)"
)
_SLEEP_NUMBER = re.compile(
    r"\bsleep(?:\s+(?:was|is|quality|score|a|about|around|last night|rating|like))*"
    r"\s*[:=\-]?\s*"
    + _NUM
    + r"\b(?:\s*(?:/|out of)\s*(\d+))?(?!\s*(?:[-–]\s*\d|\.\d|"
    + _UNITS
    + r"))"
)
_STRESS_WORDS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern), value)
    for pattern, value in (
        (r"\b(not|wasnt|isnt|never|no) (very |too |that |really )?stress(ed|ful)?\b", 1),
        (r"\bno stress\b|\bstress free\b|\b(relaxed|chilled|calm|zen)\b", 1),
        (r"\b(low stress|stress (was |is )?low)\b", 2),
        (r"\b(a bit|a little|bit|slightly|somewhat|mildly|little) stress(ed|ful)?\b", 3),
        (
            r"\b(very|really|so|super|extremely|massively|hugely|incredibly|mega|crazy)"
            r" stress(ed|ful)"
            r"|\bstressed out\b|\bstress(ed)? af\b|\boverwhelmed\b",
            5,
        ),
        (r"\b(high stress|stress (was |is )?high)\b", 4),
        (r"\bstress(ed|ful)\b", 4),
    )
)
_SLEEP_WORDS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern), value)
    for pattern, value in (
        (r"\b(didnt|did not|couldnt|could not) sleep (well|great|good|much)\b", 2),
        (r"\bslept (not (well|great|good)|not very well)\b", 2),
        (
            r"\bslept (terribly|awfully|horribly|awful|terrible|dreadfully|appallingly)\b"
            r"|\b(didnt|did not|couldnt|could not|barely|hardly|cant|cannot) sleep\b|\bno sleep\b"
            r"|\b(awful|terrible|horrible|sleepless|dreadful|horrendous) (night|sleep)\b"
            r"|\binsomnia\b|\bup all night\b|\bbarely slept\b|\bhardly slept\b",
            1,
        ),
        (
            r"\bslept (badly|bad|poorly|rubbish|crap|lightly|restlessly|meh)\b"
            r"|\b(bad|rough|poor|restless|broken|crap|rubbish|shit) (night|sleep|nights sleep)\b"
            r"|\bwoke up (a lot|loads|lots|several times|many times)\b|\btossing and turning\b"
            r"|\bsleep (was )?(bad|poor|rubbish|crap)\b",
            2,
        ),
        (
            r"\bslept (great|brilliantly|amazingly|like a baby|like a log|really well|very well"
            r"|so well|perfectly|fantastic)\b|\b(great|amazing|fantastic|brilliant|perfect) "
            r"(night|sleep|nights sleep)\b|\bsleep (was )?(great|amazing)\b",
            5,
        ),
        (
            r"\bslept (ok|okay|alright|fine|so so|not bad|average)\b"
            r"|\b(ok|okay|average|so so) (night|sleep|nights sleep)\b"
            r"|\bsleep (was )?(ok|okay|meh)\b",
            3,
        ),
        (
            r"\bslept (well|good|nicely|better)\b|\b(good|decent|nice) (night|sleep|nights sleep)\b"
            r"|\bsleep (was )?good\b",
            4,
        ),
    )
)
_BRISTOL = re.compile(
    r"\b(?:bristol|bss|stool|poo|poop|bm|number two|no 2)(?:\s+(?:type|scale|chart|score|number"
    r"|was|is|a|no|today))*\s*[:=#\-]?\s*" + _NUM + r"\b"
    r"|\btype\s*" + _NUM + r"\s+(?:stool|poo|poop|bm|on the bristol|bristol)"
)
#: Where a food word is not something eaten or drunk, the clause around it says so: it was what
#: came up ("threw up something like coffee grounds"), a comparison ("spew looked like red
#: wine", "poo like peanut butter"), or a drug's street name ("did a line of coke").
_CLAUSE_BREAKS = frozenset(
    {"but", "then", "after", "before", "because", "cos", "since", "so", "later", "earlier",
     "until", "while", "when"}
)  # fmt: skip
_VOMITED = re.compile(
    r"^(?:vomit\w*|puk\w*|spew\w*|chunder\w*|retch\w*|barf\w*|hurl(?:ed|ing)?"
    r"|(?:was|been|being|am|my|the) sick"
    r"|(?:threw|throw|throwing|thrown|chucked|chucking|brought|bringing|bring|coughed|coughing)"
    r" up)$"
)
_COMPARED = re.compile(
    r"\b(?:(?:look|looks|looked|looking|smell|smells|smelled|smelt|seems?|seemed|something"
    r"|stuff|bit|kind of|sort of|just|exactly|poo|poop|stool|sick|vomit|pee|wee|urine|spew|puke)"
    r" like|resembl\w*|colou?r of|as if)\b"
)
_DRUG_USE = re.compile(
    r"\b(?:snort\w*|sniff\w*|(?:line|lines|bump|bumps) of"
    r"|(?:did|doing|done|do) (?:some|a bit of|a load of|loads of|a few lines of|lines of|a line of)"
    r"|(?:did|doing) a? ?lines? of|popped|popping|injected|injecting|high on|off my face on)"
    r"(?: (?:some|a|the|bit|of|few|more|too|much|loads|little))*$"
)

#: Words for the body, what comes out of it and how it feels: a line with one of these and
#: nothing the diary understood reads like a symptom, and gets a pointer to /redflags.
_BODY = re.compile(
    r"\b(?:stomach\w*|tumm(?:y|ies)|bell(?:y|ies)|gut|guts|abdom\w*|bowels?|bum|bottom|butt"
    r"|anus|rectum|rectal|groin|genitals?|privates|crotch|down below|down there|flank|side"
    r"|kidneys?|bladder|spine|neck|chest|heart|legs?|foot|feet|knees?|hips?|arms?|head|throat"
    r"|skin|eyes?|poo+p?|stools?|pee|peeing|wee|weeing|urine|piss\w*|blood\w*|bleed\w*"
    r"|vomit\w*|sick|puk\w*|spew\w*|threw up|throw\w* up|chucked up|retch\w*|diarr\w*"
    r"|pain\w*|hurt\w*|ach(?:e|es|ing|y)|sore|numb\w*|tingl\w*|pins and needles|weak\w*"
    r"|dizz\w*|faint\w*|fever\w*|feverish|temperature|shiver\w*|swollen|swelling|lumps?"
    r"|rash|cramp\w*|burning|breathless|breath|itch\w*|agony|killing me|unwell|ill)\b"
)
_YESTERDAY = re.compile(r"\b(yesterday|yday|yest|ystrdy|yesterdays)\b")
_DAY_BEFORE = re.compile(r"\b(day before yesterday|2 days ago|two days ago)\b")
_LAST_NIGHT = re.compile(r"\blast night\b")
#: "since yesterday" says how long something has gone on, not which day the line is about.
_SINCE_DAY = re.compile(
    r"\b(?:ever since|since|from|starting)\s+(?:the\s+)?(?:day before yesterday|yesterday|yday"
    r"|yest|ystrdy|last night|2 days ago|two days ago)\b"
)
_TODAY = re.compile(
    r"\b(today|this morning|this afternoon|this evening|tonight|right now|now|at the moment)\b"
)
#: Where a line may change the day it talks about: punctuation, an ellipsis, a linking word.
_TRAILING_BREAK = re.compile(r"(?:\s*(?:\b(?:and|but|then|while)\b|\.{2,}|[….;,!?]))+\s*$", re.I)
_PART_BREAK = re.compile(r"\s*(?:\.{2,}|…|[.;,!?]|\b(?:and|but|then|while)\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedLog:
    """What a diary line said. Fields that were not clearly stated stay None / empty."""

    food_groups: frozenset[str] = frozenset()
    foods: list[str] = field(default_factory=list)
    skipped_foods: list[str] = field(default_factory=list)  # "no alcohol", "skipped the wine"
    symptoms: frozenset[str] = frozenset()
    negated_symptoms: frozenset[str] = frozenset()
    pain: int | None = None
    stress: int | None = None
    sleep: int | None = None
    bristol: int | None = None
    day_offset: int = 0
    is_log: bool = False


@functools.cache
def _symptom_index() -> PhraseIndex[str]:
    phrases = [(word, symptom) for symptom, words in SYMPTOM_WORDS.items() for word in words]
    food_words = {word for entry in lexicon().foods for word in entry.words}
    return PhraseIndex(phrases, blocked=set(lexicon().not_food) | food_words)


def _negated(tokens: Sequence[Token], first: int, last: int) -> bool:
    """A negator shortly before (same clause), or "none/free/gone" right after."""
    for index in range(first - 1, max(-1, first - 1 - _NEGATION_REACH), -1):
        text = tokens[index].text
        if not tokens[index].is_word and not text.isdigit():
            break
        if text in _NEGATORS and text != "free":
            return True
        if text in _BOUNDARIES:
            break
    after = [t.text for t in tokens[last : last + 3] if t.text not in {":", "-", "=", "was", "is"}]
    return bool(after) and after[0] in _AFTER_NEGATORS


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


def _pain(text: str) -> int | None:
    values: set[int] = set()
    for match in _PAIN_AFTER_WORD.finditer(text):
        where = (match.group("where") or "").strip()
        if where in _OTHER_BODY:
            continue
        values.add(_number(match.group(2)))
    for match in _OUT_OF_TEN.finditer(text):
        if _OTHER_SCALE_BEFORE.search(text[max(0, match.start() - 20) : match.start()]):
            continue
        values.add(_number(match.group(1)))
    if not values and _NO_PAIN.search(text):
        return 0
    if len(values) != 1:
        return None
    value = values.pop()
    return value if 0 <= value <= 10 else None


def _scale(number: re.Pattern[str], words: Sequence[tuple[re.Pattern[str], int]], text: str):
    found = number.search(text)
    if found:
        value = _number(found.group(1))
        scale = found.group(2)
        if scale in (None, "5") and 1 <= value <= 5:
            return value
        return None
    for pattern, value in words:
        if pattern.search(text):
            return value
    return None


def _bristol(text: str) -> int | None:
    values = {_number(match.group(1) or match.group(2)) for match in _BRISTOL.finditer(text)}
    if len(values) != 1:
        return None
    value = values.pop()
    return value if 1 <= value <= 7 else None


def _not_eaten(tokens: Sequence[Token], first: int) -> bool:
    """The food at ``first`` came up, is a comparison, or is a drug (see ``_VOMITED``)."""
    start = first
    while start > 0:
        previous = tokens[start - 1]
        if (not previous.is_word and not previous.text.isdigit()) or previous.text in (
            _CLAUSE_BREAKS
        ):
            break
        start -= 1
    before = [token.text for token in tokens[start:first]]
    pairs = [" ".join(before[i : i + 2]) for i in range(len(before))]
    if any(_VOMITED.match(word) for word in before + pairs):
        return True
    lead = " ".join(before)
    return bool(_COMPARED.search(lead) or _DRUG_USE.search(lead))


#: "can't go" is constipation, "can't go on (with this)" and "can't go out" are not.
_GO_ELSEWHERE = frozenset(
    {"on", "out", "to", "anymore", "any", "back", "home", "in", "through", "further", "there",
     "with", "outside", "like", "for", "away"}
)  # fmt: skip


def _goes_on(tokens: Sequence[Token], last: int) -> bool:
    """A "can't go" phrase that is about going somewhere, or going on, not the toilet."""
    return (
        tokens[last - 1].text == "go" and last < len(tokens) and tokens[last].text in _GO_ELSEWHERE
    )


def reads_like_symptom(text: str) -> bool:
    """Whether a line talks about the body or how it feels (used when nothing was understood)."""
    return _BODY.search(" ".join(normalise(text).split())) is not None


def parse_log(text: str) -> ParsedLog:
    """Everything a diary line clearly states; see the module docstring for the rules."""
    tokens = tokenize(text)
    flat = " ".join(normalise(text).split())
    foods = []
    skipped = []
    for match in lexicon().find_in_tokens(tokens):
        if _not_eaten(tokens, match.first):
            continue
        (skipped if _negated(tokens, match.first, match.last) else foods).append(match)
    symptoms: set[str] = set()
    negated: set[str] = set()
    for match in _symptom_index().match(tokens):
        if _goes_on(tokens, match.last):
            continue
        (negated if _negated(tokens, match.first, match.last) else symptoms).add(match.payload)
    negated -= symptoms
    pain = _pain(flat)
    stress = _scale(_STRESS_NUMBER, _STRESS_WORDS, flat)
    sleep = _scale(_SLEEP_NUMBER, _SLEEP_WORDS, flat)
    bristol = _bristol(flat)
    day_offset = 0
    flat = _SINCE_DAY.sub(" ", flat)
    if _DAY_BEFORE.search(flat):
        day_offset = -2
    elif _YESTERDAY.search(flat) or (
        _LAST_NIGHT.search(flat) and (foods or symptoms or sleep is None)
    ):
        day_offset = -1
    food_groups = frozenset().union(*(match.groups for match in foods)) if foods else frozenset()
    is_log = bool(
        foods
        or skipped
        or symptoms
        or negated
        or any(value is not None for value in (pain, stress, sleep, bristol))
    )
    return ParsedLog(
        food_groups=food_groups,
        foods=[match.text for match in foods],
        skipped_foods=[match.text for match in skipped],
        symptoms=frozenset(symptoms),
        negated_symptoms=frozenset(negated),
        pain=pain,
        stress=stress,
        sleep=sleep,
        bristol=bristol,
        day_offset=day_offset,
        is_log=is_log,
    )


def _named_day(part: str) -> int | None:
    """The day a part of a line names (0 today, -1 yesterday, -2 before), or None."""
    flat = _SINCE_DAY.sub(" ", " ".join(normalise(part).split()))
    if _DAY_BEFORE.search(flat):
        return -2
    if _YESTERDAY.search(flat) or _LAST_NIGHT.search(flat):
        return parse_log(part).day_offset if _LAST_NIGHT.search(flat) else -1
    if _TODAY.search(flat):
        return 0
    return None


def split_by_day(text: str) -> list[tuple[int, str]]:
    """A diary line as (day offset, text) parts, one per day it names, in the line's order.

    Only a line that names two different days is split ("had pizza last night ... back is 7
    today": the pizza is yesterday's, the pain today's). Each part runs from a break (a comma,
    a full stop, an ellipsis, "and", "but") to the next; a part that names no day belongs to
    the day named before it (or, at the start, to the first day named). Any other line is one
    part for the day :func:`parse_log` reads from it.
    """
    cuts = [0]
    for match in _PART_BREAK.finditer(text):
        if match.start() > 0 and match.end() < len(text):
            cuts.append(match.end())
    cuts.append(len(text))
    parts = [text[a:b] for a, b in itertools.pairwise(cuts) if text[a:b].strip()]
    named = [_named_day(part) for part in parts]
    if len({day for day in named if day is not None}) < 2:
        return [(parse_log(text).day_offset, text)]
    first = next(day for day in named if day is not None)
    grouped: list[tuple[int, str]] = []
    current = first
    for part, day in zip(parts, named, strict=True):
        current = day if day is not None else current
        if grouped and grouped[-1][0] == current:
            grouped[-1] = (current, grouped[-1][1] + part)
        else:
            grouped.append((current, part))
    return [(day, _TRAILING_BREAK.sub("", part).strip()) for day, part in grouped]
