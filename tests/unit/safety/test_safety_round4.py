"""Round 4 of the screen's concepts: each new kind of rule beside the near-miss sharing its words.

Why pairs: a rule that hears "they'd all manage fine without me" must not hear "the kids manage
fine without me when I'm at work", and a rule that hears a wet bed since the back went must not
hear a bed soaked with sweat. The phrases are the engineer's own, written for these tests; the
labelled set (tests/data/safety_eval.yaml) carries the figures.
"""

from __future__ import annotations

import pytest

from tests.unit.safety.screening import assert_heard as _heard
from tests.unit.safety.screening import assert_quiet as _quiet


@pytest.mark.parametrize(
    ("sign", "flag", "near_miss"),
    [
        # Others better off, without the textbook words; a parent at work.
        (
            "honestly theyd all manage fine without me",
            "crisis_suicide",
            "the kids manage fine without me when im at work, back 5",
        ),
        # Loose ends tied so nobody has to deal with it; loose ends before a holiday.
        (
            "tied up all my loose ends this week so nobody has to deal with it after",
            "crisis_suicide",
            "tied up the loose ends at work before my holiday, back 3",
        ),
        # Affairs in order with nothing left; a will made with a solicitor.
        (
            "affairs are in order now, nothing left to sort",
            "crisis_suicide",
            "got my affairs in order with the solicitor, new will done, back 4",
        ),
        # A rope ready; a skipping rope for the gym.
        (
            "the rope is in the shed, ready",
            "crisis_suicide",
            "bought a skipping rope for the gym, back 4",
        ),
        # Wanting to stop existing.
        (
            "i just want to stop existing for a while",
            "crisis_suicide",
            "i just want to stop working for a while, back 6",
        ),
        # A burn pressed on the skin; an iron pressed on a shirt.
        (
            "pressed a lit cigarette against my arm last night",
            "crisis_self_harm",
            "pressed the hot iron on my shirt, back twinged",
        ),
        # Money controlled; a remote control.
        (
            "he controls all my money and i have to ask for bus fare",
            "crisis_safeguarding",
            "she controls the tv remote in this house lol",
        ),
        # Not allowed out by a partner; not allowed to lift by the physio.
        (
            "my partner says im not allowed out without him",
            "crisis_safeguarding",
            "physio says im not allowed to lift anything heavy this week",
        ),
        # A threat for next time; next time's mug colour.
        (
            "he said next time itll be the kettle, not the mug",
            "crisis_safeguarding",
            "next time itll be the blue one, the red mug chipped",
        ),
        # The pain has won; a team has won.
        ("the pain has won, i have nothing left", "crisis_pain_hopeless", "my team won, back 3"),
        # A wet bed since the back went; a bed soaked with sweat.
        (
            "woke up and the bed was soaked, never happened before, back agony since tuesday",
            "ces_bladder",
            "woke up and the bed was soaked with sweat after the hot night, back 4",
        ),
        # Water not held; a drink not held.
        (
            "cant hold my water anymore since the back went",
            "ces_bladder",
            "cant hold my drink these days lol, back 3",
        ),
        # Walking as if drunk with numb legs; walking like a drunk after wine.
        (
            "walking like im drunk and both legs feel numb",
            "neuro_both_legs",
            "walked like a drunk after the wine, back 5",
        ),
    ],
)
def test_round4_concept_and_its_near_miss(sign: str, flag: str, near_miss: str) -> None:
    _heard(sign, flag)
    _quiet(near_miss)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # The bottom that does not feel like one's own.
        ("sat on the loo and my bum doesnt feel like my own, back 8", "ces_saddle_numbness"),
        # Legs gone from under them.
        ("my legs are going from under me since the disc went", "neuro_both_legs"),
        # A rolled car, told in lay words; the back named as "me back".
        ("rolled the car on the bypass last night and me back is killing me", "trauma_serious"),
        # A belly hard as a rock that hurts (the possessive folded: "belly's").
        ("my belly's gone hard as a rock and it hurts to touch", "gi_acute_abdomen"),
        # The toilet full of blood, in another word for it.
        ("the bog is full of blood and i feel faint", "gi_heavy_bleeding"),
        # First-ever back pain with an age given after a comma.
        ("64, first time my back has ever hurt like this", "first_back_pain_age"),
        # "But now ..." brings a story about the past back to now.
        (
            "sciatica used to be one leg only, but now both legs are numb and weak",
            "neuro_both_legs",
        ),
    ],
)
def test_round4_lay_wording_is_heard(text: str, flag: str) -> None:
    _heard(text, flag)


@pytest.mark.parametrize(
    "text",
    [
        # A pet is someone else: its vomit is not the writer's.
        "my dog was sick on the rug twice, back 4",
        # "me da" is the writer's dad, and his stroke was years ago.
        "me da had a stroke years ago, hes grand now",
        # A question about a sign in general.
        "what happens if the numbness spreads to both legs? just curious",
        "if my legs both went numb would that be an emergency",
        # Denied with "nothing weird".
        "nothing weird down there, just the usual ache",
        # Explained by the light.
        "my skin looked yellow but it was the kitchen bulb, fine in daylight",
        # Resolved one clause later; "10 years ago" is not an age.
        "had shingles at uni, all cleared up ages ago, back 3 today",
        "10 years ago i had a bad fall off a ladder, back has been fine since, 3 today",
        # A storyline, a poster, a song title.
        "the soap tonight had a domestic abuse storyline, hard to watch",
        "dont want to live forever came on the radio, back 4",
        # Done with the weather, not with life.
        "im so done with this rain lol, back 5",
    ],
)
def test_round4_near_misses_stay_quiet(text: str) -> None:
    _quiet(text)
