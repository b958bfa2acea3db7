"""Round 3 of the screen's concepts: each new kind of rule beside the near-miss sharing its words.

Why pairs: a rule that hears "blades out" must not hear "got the razor out to shave", and a rule
that hears "a whole flight of stairs" must not hear a fall years ago that the back has ached
after ever since. Each test names the concept; the labelled set carries the figures.
"""

from __future__ import annotations

import pytest

from bot.safety.screen import screen
from tests.unit.safety.screening import assert_heard as _heard
from tests.unit.safety.screening import assert_quiet as _quiet


@pytest.mark.parametrize(
    ("sign", "flag", "near_miss"),
    [
        # A plan with a day and a decision; the same day with an appointment in it.
        (
            "friday is the day. decided. no more pain, no more anything",
            "crisis_suicide",
            "friday is the day i get my mri results, fingers crossed",
        ),
        # A last entry on its own; a diary line that corrects the last entry.
        (
            "last message. sorry everyone",
            "crisis_suicide",
            "last entry was wrong, back was a 5 not a 7",
        ),
        # A goodbye passed on through someone; a warm phone call.
        (
            "tell my son i love him, i cant do this anymore",
            "crisis_suicide",
            "rang my son to tell him i love him, lovely chat",
        ),
        # Beaten by the pain; beaten at chess.
        (
            "this sciatica has finally beaten me",
            "crisis_pain_hopeless",
            "my brother has beaten me at chess again",
        ),
        # Blades out; a razor out to shave.
        (
            "blades out again tonight",
            "crisis_self_harm",
            "got the razor out to shave my legs, back twinged bending over",
        ),
        # Violence heard in the house; someone doing well at work.
        (
            "hes smashing plates in the kitchen again and im upstairs",
            "crisis_safeguarding",
            "hes smashing it at work lately, got promoted",
        ),
    ],
)
def test_crisis_without_the_textbook_words(sign: str, flag: str, near_miss: str) -> None:
    _heard(sign, flag)
    _quiet(near_miss)


def test_a_relapse_after_weeks_clean_asks_by_rule_and_a_sugar_relapse_does_not() -> None:
    """The weak rule alone (the learned layer's asks switched off): "clean" makes it ask."""
    rules_only = {"thresholds": {}}
    assert screen("relapsed last night, 2 months clean gone", **rules_only).ask is not None
    assert screen("relapsed on the chocolate, two weeks off sugar gone", **rules_only).ask is None


@pytest.mark.parametrize(
    ("sign", "flag", "near_miss"),
    [
        # Bowels letting go; bowels opened (the clinical word for an ordinary poo).
        (
            "bowels just let go on the walk home and my back is agony",
            "ces_bowel",
            "bowels opened twice today, all normal",
        ),
        # Soiled underwear ("undies", "boxers" are one word for the rules); a dog's poo bag.
        (
            "keep finding poo marks in my boxers and my lower back is bad",
            "ces_bowel",
            "found a poo bag in my coat pocket, the dogs not mine",
        ),
        # "pea" after a word that only goes with peeing; peas as food.
        (
            "cant pea since lunch and my back is agony",
            "ces_bladder",
            "cant eat peas, they bloat me, back 4",
        ),
        # A whole flight of stairs (more than three words between "fell down" and "stairs").
        (
            "tumbled down the whole flight of stairs at work, back and hips agony",
            "trauma_serious",
            "fell off a ladder years ago and my back has ached on and off ever since",
        ),
        # A wipe-out at speed into something; wiped out as in tired.
        (
            "snowboard wipeout at speed into a fence, back is throbbing",
            "trauma_serious",
            "wiped out after a long day, back a bit stiff",
        ),
        # Shivering too hard to hold something; shaking with nerves.
        (
            "shivering so hard i cant hold my cup, back aching",
            "sepsis_signs",
            "was shaking like a leaf before my interview, got the job though",
        ),
        # Nothing out either end with a swollen tummy; a flat tummy and no wind.
        (
            "no wind at all since yesterday and my tummy is swollen tight",
            "gi_acute_abdomen",
            "no wind today, tummy flat, good day",
        ),
        # Races like the gym: legs like jelly after a 5k; both legs like jelly for no reason.
        (
            "both legs like jelly since this morning for no reason",
            "neuro_both_legs",
            "legs like jelly after the 5k but got a pb",
        ),
    ],
)
def test_emergencies_in_everyday_words(sign: str, flag: str, near_miss: str) -> None:
    _heard(sign, flag)
    _quiet(near_miss)


def test_not_even_spit_still_counts_the_saliva() -> None:
    _heard("cant swallow anything, not even my own spit", "gi_cant_swallow")


def test_blacking_out_in_everyday_words_counts_with_a_tearing_pain() -> None:
    _heard("felt something tear in my back and then everything went black", "aaa_sudden")


@pytest.mark.parametrize(
    ("sign", "flag", "idiom"),
    [
        (
            "chest feels tight and crushing, like a heart attack",
            "chest_pain",
            "that pie was a heart attack on a plate, worth it",
        ),
        (
            "food is hard to swallow, it sticks halfway down for weeks now",
            "gi_dysphagia",
            "the news was hard to swallow, back 5",
        ),
    ],
)
def test_idioms_beside_the_signs_that_share_their_words(sign: str, flag: str, idiom: str) -> None:
    _heard(sign, flag)
    _quiet(idiom)


@pytest.mark.parametrize(
    "text",
    [
        "a bit of toast went down the wrong way, coughed it up, all good",
        "had a kidney infection in march, antibiotics sorted it",
        "pins and needles in both feet last month but it was the new shoes, fine now",
        "numb bum after the long drive, feeling came back as soon as i got out",
        "i once got food poisoning abroad and vomited for 3 days, never again",
        "do people with a bad back ever lose control of their bladder? just curious",
        "nearly pooped my pants metaphorically when the boss rang",
        "stiff for ten minutes in the morning then fine",
    ],
)
def test_resolved_past_general_and_figurative_mentions_stay_quiet(text: str) -> None:
    _quiet(text)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("pins and needles in both feet, not going away", "neuro_both_legs"),
        ("numb bum since the long drive and the feeling hasnt come back", "ces_saddle_numbness"),
        ("been vomiting for 3 days now and cant keep water down", "gi_persistent_vomiting"),
        ("do i need a&e? lost control of my bladder and my back is agony", "ces_bladder"),
        ("fell off a ladder this morning, back agony and cant walk", "trauma_serious"),
    ],
)
def test_the_same_signs_now_still_count(text: str, flag: str) -> None:
    _heard(text, flag)


def test_typo_repair_does_not_turn_a_word_into_its_plural() -> None:
    """ "plate" is a word, not a typo of "plates" (which a rule knows): the idiom must still fit."""
    _quiet("that burger was a heart attack on a plate but so worth it")


@pytest.mark.parametrize(
    ("sign", "flag", "near_miss"),
    [
        # A dose counted in tens; a day's ordinary dose.
        (
            "took about 30 of my tramadol an hour ago",
            "crisis_suicide",
            "took 2 of my tramadol at lunch, back eased a bit",
        ),
        # Pills weighed against "enough"; enough pills for a trip.
        (
            "counted my pills again. thats enough isnt it",
            "crisis_suicide",
            "picked up my prescription, plenty of painkillers for the trip",
        ),
        # A life insurance worth more than them; an insurance renewal.
        (
            "the family would be better off with the life insurance",
            "crisis_suicide",
            "renewed the life insurance today, boring admin, back 4",
        ),
        # Control over meds and food; a partner who helps.
        (
            "he decides if i get my tablets and when i eat",
            "crisis_safeguarding",
            "he helps me with my tablets in the morning, bless him",
        ),
        # A threat if they tell; telling someone good news.
        (
            "said if i tell anyone hell make sure i regret it",
            "crisis_safeguarding",
            "if i tell anyone about the new job theyll be so pleased",
        ),
    ],
)
def test_crisis_round_3c(sign: str, flag: str, near_miss: str) -> None:
    """The rules hear the sign and not the near-miss (whether the learned layer asks about a
    near-miss is its own trade-off, measured by ``bench/safety.py --cv``)."""
    _heard(sign, flag)
    rules_only = screen(near_miss, thresholds={})
    assert rules_only.tier is None and rules_only.ask is None, rules_only


@pytest.mark.parametrize(
    ("sign", "flag", "near_miss"),
    [
        # "chests been" is "chest's been" without the apostrophe.
        ("chests been tight for an hour and im sweaty", "chest_pain", "chest of drawers arrived"),
        # Walking suddenly hard; walking hard after a long hike.
        (
            "suddenly its really hard to walk and both legs feel like concrete",
            "neuro_both_legs",
            "walked 10 miles yesterday, calves sore today",
        ),
        # Big clots with bleeding from the bottom; a clot in a film plot.
        (
            "bleeding heaps from my bum with big clots",
            "gi_heavy_bleeding",
            "watched a film about a blood clot surgeon, back 3",
        ),
        # Green vomit in a colour word people use; a green smoothie.
        (
            "threw up greeny bile all morning",
            "gi_green_vomit",
            "had a greeny smoothie for breakfast, tummy fine",
        ),
    ],
)
def test_emergencies_round_3c(sign: str, flag: str, near_miss: str) -> None:
    _heard(sign, flag)
    _quiet(near_miss)


@pytest.mark.parametrize(
    ("sign", "flag"),
    [
        ("ich habe mich heute wieder geritzt", "crisis_self_harm"),
        ("mąż mnie bije i boję się wrócić do domu", "crisis_safeguarding"),
        ("wymiotuję na zielono od rana", "gi_green_vomit"),
        ("sangro mucho por el ano y no para", "gi_heavy_bleeding"),
    ],
)
def test_signs_in_other_languages(sign: str, flag: str) -> None:
    result = screen(sign)
    assert result.language is not None
    assert flag in result.flag_ids, result.flag_ids


@pytest.mark.parametrize(
    ("word", "not_into"),
    [
        ("steak", "streak"),
        ("bother", "brother"),
        ("noting", "nothing"),
        ("neither", "nether"),
        ("fibre", "fever"),
        ("cramping", "pooing"),
        ("shoes", "shoves"),
        ("weeding", "peeing"),
    ],
)
def test_ordinary_words_are_not_repaired_into_trigger_words(word: str, not_into: str) -> None:
    """Typo repair (one edit away from a rule's word) must leave ordinary words alone."""
    from bot.safety.screen import _matcher

    clause = _matcher().clauses(f"had a {word} day")[0]
    assert f" {word} " in clause and f" {not_into} " not in clause, clause


def test_one_named_leg_is_one_leg_and_both_named_are_both() -> None:
    """ "left foot" once is one leg (same day), "left ... and now the right" is both (now)."""
    one = screen("left foot has gone numb and its not going away, 5 days now")
    assert one.tier == "T2" and "neuro_both_legs" not in one.flag_ids, one.flag_ids
    both = screen("numb in my left leg and now the right one is numb too")
    assert "neuro_both_legs" in both.flag_ids, both.flag_ids


def test_numbness_gone_within_a_minute_is_resolved() -> None:
    _quiet("numbness in my left foot from sitting cross legged, went after a minute")
