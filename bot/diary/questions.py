"""The check-in questions: what each one asks, its buttons, and how an answer reads back.

A question is a one-tap scale (pain 0-10, stress and sleep 1-5, Bristol 1-7), a multi-select
(digestion symptoms, food groups, the weekly safety screen) that is toggled and closed with "Done",
or a single pick. Answers are stored as JSON: an int for scales, a list of ids in a fixed order for
multi-selects, an id for a pick, ``None`` for "skipped".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS
from bot.base.vocabulary import MEDICINES as MEDICINE_CHOICES
from bot.base.wording import t
from bot.chat.buttons import checkin_data
from bot.chat.messenger import Button, Keyboard
from bot.knowledge.breathing import followup
from bot.safety.screen import weekly_screen_options, weekly_screen_question

PAIN, DIGESTION, BRISTOL, FOOD, STRESS, SLEEP = (
    "pain",
    "digestion",
    "bristol",
    "food",
    "stress",
    "sleep",
)
SCREEN = "screen"  # the weekly one-tap "any of these new?" safety screen
BREATHING = "breathing"  # "did the breathing break help?" after a break
EXPERIMENT = "experiment"  # "did you stick to it today?" during a swap experiment
FOOD_NOTE = "food_note"  # free text typed while the food question is open
MEDICINES = "medicines"  # optional (/settings): painkillers, supplements taken today

ALL_QUESTIONS = (PAIN, DIGESTION, BRISTOL, FOOD, STRESS, SLEEP)
MORNING = (PAIN, SLEEP)
EVENING = (PAIN, DIGESTION, BRISTOL, FOOD, STRESS)
MIDDAY = (PAIN,)

# Values that are not answers but actions on the check-in itself.
SKIP, DONE, NONE, SAME, LATER, SKIP_TODAY = "skip", "done", "none", "same", "later", "skipday"
NO_BOWEL_MOVEMENT = 0  # stored for Bristol when the person had none


@dataclass(frozen=True)
class Question:
    """A scale (``low``..``high``), a multi-select (``choices``), or one pick (``single``)."""

    id: str
    prompt_key: str
    label_key: str
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()
    choice_key_prefix: str = ""
    #: Labels that come from another content file rather than from wording keys.
    labels: tuple[tuple[str, str], ...] = ()
    single: bool = False
    prompt_values: tuple[tuple[str, str], ...] = ()
    #: The question as asked before noon, when "today" has barely begun ("since yesterday").
    morning_key: str = ""

    @property
    def multi(self) -> bool:
        return bool(self.choices) and not self.single

    def prompt(self, *, morning: bool = False, **values: str) -> str:
        """The question's text; ``values`` fill placeholders known only per person (a swap)."""
        key = self.morning_key if morning and self.morning_key else self.prompt_key
        return t(key, **{**dict(self.prompt_values), **values})

    def accepts(self, value: int) -> bool:
        return self.low <= value <= self.high


QUESTIONS: dict[str, Question] = {
    PAIN: Question(PAIN, "q_pain", "label_pain", 0, 10),
    DIGESTION: Question(
        DIGESTION,
        "q_digestion",
        "label_digestion",
        choices=SYMPTOMS,
        choice_key_prefix="symptom_",
        morning_key="q_digestion_morning",
    ),
    BRISTOL: Question(BRISTOL, "q_bristol", "label_bristol", 1, 7, morning_key="q_bristol_morning"),
    FOOD: Question(
        FOOD,
        "q_food",
        "label_food",
        choices=FOOD_GROUPS,
        choice_key_prefix="food_",
        morning_key="q_food_morning",
    ),
    STRESS: Question(STRESS, "q_stress", "label_stress", 1, 5, morning_key="q_stress_morning"),
    SLEEP: Question(SLEEP, "q_sleep", "label_sleep", 1, 5),
    MEDICINES: Question(
        MEDICINES,
        "q_medicines",
        "label_medicines",
        choices=MEDICINE_CHOICES,
        choice_key_prefix="med_",
    ),
}


def _screen_question() -> Question:
    options = weekly_screen_options()
    return Question(
        SCREEN,
        "q_screen",
        "label_screen",
        choices=tuple(o.id for o in options),
        labels=tuple((o.id, o.label) for o in options),
        prompt_values=(("question", weekly_screen_question()),),
    )


def _breathing_question() -> Question:
    follow = followup()
    return Question(
        BREATHING,
        "q_breathing",
        "label_breathing",
        choices=tuple(o.id for o in follow.options),
        labels=tuple((o.id, o.label) for o in follow.options),
        single=True,
        prompt_values=(("question", follow.question),),
    )


def _experiment_question() -> Question:
    """One tap a day during a swap experiment; the swap's name is filled in when it is asked."""
    return Question(
        EXPERIMENT,
        "q_experiment",
        "label_experiment",
        choices=("yes", "partly", "no"),
        choice_key_prefix="experiment_",
        single=True,
        prompt_values=(("swap", t("experiment_swap_fallback")),),
    )


QUESTIONS[SCREEN] = _screen_question()
QUESTIONS[BREATHING] = _breathing_question()
QUESTIONS[EXPERIMENT] = _experiment_question()


def questions_for_slot(slot: int, slot_count: int) -> list[str]:
    """Which questions a scheduled check-in asks, so that a day's check-ins cover all of them.

    With one check-in a day it asks everything; with more, the first (morning) asks pain and sleep,
    the last (evening) pain, digestion, stool, food and stress, and any in between only pain.
    """
    if slot_count <= 1:
        return list(ALL_QUESTIONS)
    if slot == 0:
        return list(MORNING)
    if slot == slot_count - 1:
        return list(EVENING)
    return list(MIDDAY)


def choice_label(question: Question, choice: str) -> str:
    if question.labels:
        return dict(question.labels)[choice]
    return t(f"{question.choice_key_prefix}{choice}")


def keyboard(
    checkin_id: int,
    question: Question,
    selected: list[str] | None,
    *,
    first: bool,
    can_copy: bool,
) -> Keyboard:
    """The buttons for one question; multi-select buttons carry the state they set (idempotent)."""

    def press(value: str) -> str:
        return checkin_data(checkin_id, question.id, value)

    rows: list[tuple[Button, ...]] = []
    if question.single:
        rows.extend((Button(choice_label(question, c), press(c)),) for c in question.choices)
    elif question.multi:
        # The layout never changes while ticking: a tick is a mark on the same button, and
        # "None of these" stays where it is (it clears the ticks), so no tap lands on a
        # button that moved under the thumb.
        chosen = set(selected or ())
        toggles = [
            Button(
                (t("tick_mark") if choice in chosen else "") + choice_label(question, choice),
                press(("-" if choice in chosen else "+") + choice),
            )
            for choice in question.choices
        ]
        rows.extend(tuple(toggles[i : i + 2]) for i in range(0, len(toggles), 2))
        rows.append((Button(t("btn_none"), press(NONE)), Button(t("btn_done"), press(DONE))))
    else:
        values = list(range(question.low, question.high + 1))
        per_row = 6 if len(values) > 7 else len(values)
        if question.id == BRISTOL:
            per_row = 4
        for start in range(0, len(values), per_row):
            rows.append(
                tuple(Button(str(v), press(str(v))) for v in values[start : start + per_row])
            )
        if question.id == BRISTOL:
            rows.append((Button(t("btn_no_bm"), press(str(NO_BOWEL_MOVEMENT))),))
    extra = [Button(t("btn_skip"), press(SKIP))]
    if can_copy:
        extra.append(Button(t("btn_same"), press(SAME)))
    rows.append(tuple(extra))
    if first:
        rows.append(
            (Button(t("btn_later"), press(LATER)), Button(t("btn_skip_today"), press(SKIP_TODAY)))
        )
    return tuple(rows)


def format_value(question_id: str, value: Any) -> str:
    """How a stored answer reads back to the person."""
    if value is None:
        return t("answer_skipped")
    if question_id == FOOD_NOTE:
        return f'"{value}"'
    question = QUESTIONS[question_id]
    if question.single:
        return choice_label(question, value)
    if question.multi:
        if not value:
            return t("screen_none_new" if question_id == SCREEN else "answer_none")
        return ", ".join(choice_label(question, choice) for choice in value)
    if question_id == BRISTOL:
        return t("answer_no_bm") if value == NO_BOWEL_MOVEMENT else f"type {value}"
    return f"{value}/{question.high}"


def answered_compact(question_id: str, value: Any) -> str:
    """One answer as a part of the check-in's running line ("Back pain: 4/10")."""
    label_key = "label_food_note" if question_id == FOOD_NOTE else QUESTIONS[question_id].label_key
    return t("answered_compact", label=t(label_key), value=format_value(question_id, value))


def answered_line(question_id: str, value: Any) -> str:
    label_key = "label_food_note" if question_id == FOOD_NOTE else QUESTIONS[question_id].label_key
    return t("answered_line", label=t(label_key), value=format_value(question_id, value))
