"""The screen's concept layer, scopes, ask band and language detection, one behaviour at a time.

The labelled set (tests/unit/test_safety.py) carries the numbers; these tests pin down why: slang
and units are folded into concepts, a sign in a question, a past story or someone else's history
does not alarm, someone else in danger now does, and the ask band asks instead of guessing.
"""

from __future__ import annotations

import pytest

from bot.safety.language import detect
from bot.safety.rules import redflags, safety_wording, tier_rank
from bot.safety.screen import Ask, ask_text, confirmed, screen


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("chucked up green gunk, back 5/10 as usual", "gi_green_vomit"),
        ("spewed up green bile twice this morning", "gi_green_vomit"),
        ("the runs with blood in it all day", "gi_bloody_diarrhoea"),
        ("my nether regions have gone all tingly and half numb since 4pm", "ces_saddle_numbness"),
        ("pins n needles down below, like my lady bits have gone to sleep", "ces_saddle_numbness"),
        ("kms fr. not even joking anymore", "crisis_suicide"),
        ("gonna unalive myself tonight i think", "crisis_suicide"),
        ("101.3F and my lower back is screaming", "infection_fever_back"),
        ("hot and cold all day with a sore back, thermometer says 39.1", "infection_fever_back"),
        ("back pain + lost nearly a stone in 6 weeks, not dieting", "weight_loss_back"),
        (
            "down 6kg since march no idea why and this lower back pain wont shift",
            "weight_loss_back",
        ),
        (
            "jeans gone from a 14 to a 10 and i havent changed a thing, back aches",
            "weight_loss_back",
        ),
        ("slipped off the kerb, only a little fall, but im 78 and my back is bad", "fracture_risk"),
        (
            "wee stings like mad and my flank on the right is throbbing, all shivery",
            "kidney_infection",
        ),
        ("bilat LE weakness new since this am, pt unable to mobilise w frame", "neuro_both_legs"),
    ],
)
def test_slang_units_and_words_between_are_understood(text: str, flag: str) -> None:
    assert flag in screen(text).flag_ids


@pytest.mark.parametrize(
    "text",
    [
        "what if i go numb down there one day, how would i even tell",
        "should i worry if my poo ever goes black?",
        "physio said ring 999 if i ever cant pee or go numb round my bum, ok will do",
        "had a kidney infection back in 2019, all sorted now",
        "had food poisoning last summer, threw up for 3 days, was grim",
        "i self harmed as a teenager but havent in 15 years, just mentioning for context",
        "sister is pregnant and her back is killing her, poor thing",
        "my dad had a heart attack at 70, my own cholesterol came back fine though",
        "had beetroot salad yesterday and my wee is pink today, ha",
        "started iron tablets last week, poo is black now, gp said it would be",
        "spin class destroyed me, bum went numb on that awful saddle but fine once i got off lol",
        "nearly shat myself when the smoke alarm went off",
        "legs like jelly after that rollercoaster at the fair, kids loved it",
        "temp 36.8, just checking cos the kids have colds, back 4",
        "watched a documentary on overdoses for my nursing module, grim",
    ],
)
def test_questions_past_stories_others_and_food_colouring_do_not_alarm(text: str) -> None:
    result = screen(text)
    assert result.tier is None and result.ask is None, (result.flag_ids, result.ask)


def test_a_denied_food_explanation_does_not_excuse_the_colour() -> None:
    assert (
        "gi_black_stool"
        in screen("poo was a dark wine colour this morning, not eaten beetroot").flag_ids
    )
    assert screen("blueberries all weekend and my poo looked nearly black").tier is None


def test_someone_else_in_danger_now_is_answered_and_marked() -> None:
    result = screen("dads 74, sudden agony in his back and stomach, hes gone grey and clammy")
    assert result.tier == "T1"
    assert any(finding.other for finding in result.findings)
    crisis = screen("my housemate says hes swallowed his whole sertraline packet with vodka")
    assert crisis.tier == "T0"
    # ... but someone else's non-urgent sign is theirs to take to their own GP.
    assert screen("my best mate is on chemo and her back hurts").tier is None


def test_a_past_event_comes_back_to_now_with_again_or_since() -> None:
    assert screen("I tried to kill myself last year and the thoughts are back").tier == "T0"
    assert screen(
        "been on pred tablets since 2018, bent over and felt something go in my back"
    ).tier


def test_a_family_history_counts_even_when_told_about_someone_else() -> None:
    assert (
        "gi_family_history"
        in screen("my little brother got diagnosed with crohns last year").flag_ids
    )


# ------------------------------------------------------------------------------ the ask band
def test_every_ask_question_has_kind_plain_wording() -> None:
    wording = safety_wording().asks
    for rule in redflags().asks:
        text = wording[rule.id]
        assert text.rstrip().endswith("?"), rule.id
        assert len(text) <= 160, rule.id
        assert "{" not in text
        for word in ("cauda", "sepsis", "cancer", "syndrome", "aneurysm"):
            assert word not in text.lower(), (rule.id, word)


def test_the_asks_cover_every_emergency_and_crisis_flag_once() -> None:
    rules = redflags()
    urgent = {flag.id for flag in rules.flags if flag.tier in ("T0", "T1")}
    clustered = [flag_id for ask in rules.asks for flag_id in ask.flags]
    assert urgent <= set(clustered)
    assert len(clustered) == len(set(clustered))
    for ask in rules.asks:
        assert all(tier_rank(rules.flag(f).tier) >= tier_rank(ask.tier) for f in ask.flags)


def test_the_ask_band_asks_when_the_model_is_unsure_and_the_rules_are_silent() -> None:
    # A crisis phrasing with none of the rules' words: the learned layer hears it, the screen
    # asks the crisis question instead of guessing or staying quiet.
    result = screen("everything feels heavy and pointless, i keep thinking people would cope fine")
    if result.tier is None:
        assert result.ask is not None and result.ask.tier == "T0"
        assert result.ask.question == "ask_crisis"


def test_a_definite_finding_is_answered_not_asked() -> None:
    result = screen("I want to kill myself")
    assert result.tier == "T0" and result.ask is None
    assert screen("porridge and coffee, back 4").ask is None


def test_the_rules_set_aside_signs_the_model_must_not_ask_about() -> None:
    for text in [
        "no numbness down below or anything, just the normal grinding ache",
        "checked like you said, can feel the paper fine when i wipe, nothing weird",
    ]:
        result = screen(text)
        assert result.tier is None and result.ask is None, (text, result.ask)


def test_yes_to_an_ask_gives_the_tier_the_ask_promised() -> None:
    crisis = confirmed(Ask("ask_crisis", "crisis_pain_hopeless", "T0"), "Europe/London")
    assert crisis.tier == "T0" and not crisis.ask_first and "116 123" in crisis.text
    saddle = confirmed(Ask("ask_saddle", "ces_saddle_numbness", "T1"), "Europe/London")
    assert saddle.tier == "T1" and saddle.stand_alone and "999" in saddle.text
    assert ask_text(Ask("ask_saddle", "ces_saddle_numbness", "T1")).endswith("?")


# ------------------------------------------------------------------------------ language
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Blut im Stuhl", "de"),
        ("mein Stuhl ist seit zwei Tagen schwarz und klebrig", "de"),
        ("Tengo fiebre de 38,7 y me duele muchísimo la espalda desde ayer", "es"),
        ("je suis tombé d'un échafaudage et j'ai très mal au dos", "fr"),
        ("Mi faccio vomitare dopo cena per non ingrassare", "it"),
        ("Estou com fezes pretas e grudentas há dois dias", "pt"),
        ("rugpijn en koorts van 39 graden", "nl"),
        ("Wymiotuję od trzech dni i nie mogę utrzymać nawet wody", "pl"),
        ("Внезапная сильная боль в спине", "ru"),
    ],
)
def test_messages_in_other_languages_are_detected(text: str, code: str) -> None:
    assert detect(text) == code
    assert screen(text).language == code


@pytest.mark.parametrize(
    "text",
    [
        "pain au chocolat for breakfast, back 4",
        "la la land on telly, back 5",
        "de la soul on repeat all day",
        "had a latte and a croissant",
        "no",
        "ok",
        "6",
        "can't feel my bum",
    ],
)
def test_english_is_never_called_foreign(text: str) -> None:
    assert detect(text) is None
    assert screen(text).language is None


def test_serious_signs_in_other_languages_are_caught_too() -> None:
    assert screen("Ich will nicht mehr leben, ich habe schon Tabletten gesammelt").tier == "T0"
    assert screen("mein Stuhl ist seit zwei Tagen schwarz und klebrig").tier == "T2"
    assert screen("Blut im Stuhl").tier is not None


# ------------------------------------------------------------------------------ round 2 scopes
@pytest.mark.parametrize(
    "text",
    [
        # A conditional reaches over its sentence, comma or not.
        "imagine i got a fever on holiday with my back, would i need to see someone out there?",
        "if my legs both went weak would that be a 999 thing?",
        "supposing my poo ever went black, is that a same day doctor thing?",
        # A resolution looks one clause back.
        "my colleague fainted at work last week, turned out she hadnt eaten",
        "bum went numb sitting on the hard bleachers for 3 hours, fine once i stood up",
        # A denial answers what came before it in the sentence.
        "gp asked about numbness in my groin and bladder problems, none of that, phew",
        # Someone else's age, possessives, and past decades.
        "my 15 yo has back ache for the first time after rugby, think he just pulled something",
        "nan's had a bad back for 40 years and still gardens every day",
        "was in a car crash in my 20s, im 54 now, back is the normal grumbly kind today 4/10",
        # Figures of speech and near-misses.
        "cant go on holiday next week with my back like this, gutted",
        "overdosed on chocolate eggs at easter lol, back 3",
        "that meeting made me want to die of embarrassment",
        "back feels like ive been hit by a bus but its just the new mattress",
        "tiny leak when i sneezed, been like that since having the twins",
        "temp normal 36.8, back aches from the mattress",
        "yes took my meds. back 5. poo normal",
        "counted my tablets to see if i need a repeat, 6 left, ordered more",
    ],
)
def test_near_misses_of_fresh_writers_do_not_answer(text: str) -> None:
    assert screen(text).tier is None, screen(text).flag_ids


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        # The same words, but now: a scope must not swallow a real sign.
        ("my legs both went weak this morning and i cant walk properly", "T1"),
        ("if i cough my back is agony, is that normal?", "T2"),
        ("left foot keeps going numb and it hasnt gone away in 10 days", "T2"),
        ("numb round my bum when i sit on the loo since lunchtime, back 7", "T1"),
        (
            "gave the dog to my brother, cancelled my phone. wont be needing either after friday",
            "T0",
        ),
        ("been saving my amitriptyline, got about 3 weeks worth in a drawer now", "T0"),
        ("my husband is talking about killing himself, hes got the pills out", "T0"),
    ],
)
def test_real_signs_beside_the_near_misses_are_still_answered(text: str, tier: str) -> None:
    assert tier_rank(screen(text).tier) <= tier_rank(tier), screen(text).flag_ids


def test_a_weak_pattern_asks_instead_of_answering() -> None:
    result = screen("gave the cat to my neighbour to look after")
    assert result.tier is None
    assert result.ask is not None and result.ask.question == "ask_crisis"


@pytest.mark.parametrize(
    ("text", "code", "tier"),
    [
        ("je n'en peux plus de cette douleur, j'ai envie d'en finir", "fr", "T0"),
        ("me corté otra vez anoche", "es", "T0"),
        ("ik heb vanochtend al mijn pillen ingenomen, sorry", "nl", "T0"),
        ("minhas duas pernas estão fracas e dormentes desde hoje de manhã", "pt", "T1"),
        ("с утра не могу помочиться, спина болит ужасно", "ru", "T1"),
        ("mam czarny stolec jak smoła od dwóch dni", "pl", "T2"),
    ],
)
def test_other_languages_are_put_into_english_words_first(text: str, code: str, tier: str) -> None:
    result = screen(text)
    assert result.language == code
    assert result.tier == tier, result.flag_ids
