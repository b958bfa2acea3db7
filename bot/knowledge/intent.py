"""What a plain message is: a swap question, a diary line, a medical question, small talk, or other.

Safety screening runs before this. The order of the checks is the whole design:

1. A question asking for a diagnosis or treatment is ``medical_question`` (the bot declines kindly).
2. A message asking for an alternative ("instead of", "swap", "healthier", "better than", a lone
   food name with a question mark ...) is ``swap_question``: "is kimchi good instead of pickles?".
3. A line the diary parser understands is a ``log``: "had kimchi with lunch, no bloating".
4. Greetings, thanks and goodbyes are ``smalltalk``.
5. Anything else is ``unknown``; the bot still answers helpfully, never with silence.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.knowledge.foods import lexicon, normalise
from bot.knowledge.logparse import parse_log
from bot.knowledge.swaps import is_medical_question

Intent = Literal["swap_question", "log", "medical_question", "smalltalk", "unknown"]

_SWAP_CUES = re.compile(
    r"^\s*/swap\b|\binstead\b|\balternatives?\b|\bswap(s|ping)?\b|\bsubstitut|\breplace"
    r"|\bhealthier\b|\bbetter (than|option|choice|idea|alternative|snack|drink|breakfast)\b"
    r"|\bsomething better\b|\bwhat (else|can|could|should) i (eat|drink|have|snack)\b"
    r"|\bwhat (to|should i) (eat|drink|have) (instead|rather)\b|\brather than\b|\bcut (out|down)\b"
    r"|\bwhats better\b|\bany better\b|\bwhat else\b|\bsub for\b|\bideas?\b|\baddicted to\b"
    r"|\bhooked on\b|\bcant stop (eating|drinking)\b|\bis \w+( \w+)? (good|ok|okay|bad|better)"
)
_QUESTION = re.compile(r"\?\s*$|^\s*(what|which|how|is|are|can|could|should|do|does|any)\b")
_SMALLTALK = re.compile(
    r"^\s*(hi+|hey+|hello+|hiya|yo|morning|good (morning|afternoon|evening|night)|evening|night"
    r"|thanks?( you)?( so much| a lot)?|thank u|thx|ty|cheers|ta|ok(ay)?|k|cool|great|nice"
    r"|bye|goodbye|see (you|ya)|later|lol|haha+|how are (you|u)|whats up|sup|who are you"
    r"|you there|test(ing)?|yes|no|sure|sounds good|perfect|brilliant|awesome)\b[\s!.,?:)(]*"
    r"(\w+[\s!.,?:)(]*)?$"
)


_THANKS = re.compile(
    r"\b(thanks?|thank (you|u)|thankyou|thx|thnx|thnks|ty|tysm|ta|cheers|much appreciated"
    r"|merci|danke|gracias|grazie|obrigad[oa])\b"
)
_DECLINING = re.compile(r"^\s*(no|nah|nope)\b")


def is_thanks(text: str) -> bool:
    """Small talk that thanks the bot ("thanks!", "ta", "cheers", "thx"), not "no thanks"."""
    flat = " ".join(normalise(text).split())
    return bool(_THANKS.search(flat)) and not _DECLINING.match(flat)


def classify(text: str) -> Intent:
    """Route one plain message (see the module docstring for the order of the checks)."""
    flat = " ".join(normalise(text).split())
    if not flat:
        return "unknown"
    if is_medical_question(text):
        return "medical_question"
    if _SWAP_CUES.search(flat):
        return "swap_question"
    parsed = parse_log(text)
    if _QUESTION.search(flat):
        # "pizza?" or "is kefir ok?": a question about a food is a swap question.
        about_food = lexicon().find_foods(text) and not (parsed.symptoms or parsed.negated_symptoms)
        return "swap_question" if about_food else "unknown"
    if parsed.is_log:
        return "log"
    if _SMALLTALK.match(flat):
        return "smalltalk"
    return "unknown"
