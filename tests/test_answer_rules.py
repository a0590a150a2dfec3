"""The one rule of answers (:mod:`innexport.core.answers`), exactly, spelling by spelling.

tests/test_answers.py reads whole answer files; this file checks the rule they all go through, as
the module docstring and ``docs/framework-format.md`` (*Answer values*) state it: codes in any case,
labels in each of the three languages (a code winning over another level's label), level values to
within 1e-4 (both sides of the tolerance), booleans on yes/no scales, every "don't know" spelling,
blanks and NaN, the quote a spreadsheet puts before each formula trigger, the canonical code kept,
the refusals (reason, question, value, accepted codes, message) and the comment's cleaning and its
5000-character limit (both sides).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from innexport.core.answers import (
    COMMENT_MAX_LENGTH,
    DONT_KNOW_WORDS,
    VALUE_TOLERANCE,
    AnswerRefused,
    AnswerValue,
    canonical,
    canonical_on,
    clean_comment,
    is_blank,
    level_of,
    off_scale,
    spellings,
)
from innexport.core.framework import Framework, Scale
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"

YES_NO = Scale.model_validate({"id": "yes_no", "levels": [
    {"code": "no", "value": 0, "label": {"fr": "Non", "es": "No", "en": "No"}},
    {"code": "yes", "value": 1, "label": {"fr": "Oui", "es": "Sí", "en": "Yes"}}]})

FREQUENCY = Scale.model_validate({"id": "frequency4", "levels": [
    {"code": "never", "value": 0, "label": {"fr": "Jamais", "es": "Nunca", "en": "Never"}},
    {"code": "sometimes", "value": 0.3333333333, "label": {"fr": "Parfois", "es": "A veces", "en": "Sometimes"}},
    {"code": "often", "value": 0.6666666667, "label": {"fr": "Souvent", "es": "A menudo", "en": "Often"}},
    {"code": "always", "value": 1, "label": {"fr": "Toujours", "es": "Siempre", "en": "Always"}}]})

# Labels that a spreadsheet would read as formulas (=, +, -, @), as the questionnaires write them.
SIGNED = Scale.model_validate({"id": "signed", "levels": [
    {"code": "low", "value": 0, "label": {"fr": "=bas", "es": "@bajo", "en": "-low"}},
    {"code": "mid", "value": 0.5, "label": {"fr": "Moyen", "es": "-", "en": "Middle"}},
    {"code": "high", "value": 1, "label": {"fr": "+haut", "es": "Alto", "en": "High"}}]})

# Level 0's English label is level 1's code: the code wins.
CLASH = Scale.model_validate({"id": "clash", "levels": [
    {"code": "low", "value": 0, "label": {"fr": "Bas", "es": "Bajo", "en": "High"}},
    {"code": "high", "value": 1, "label": {"fr": "Haut", "es": "Alto", "en": "Top"}}]})


@pytest.fixture(scope="module")
def mini() -> Framework:
    return load_framework(MINI)


# -------------------------------------------------------------------------------- level_of


@pytest.mark.parametrize(("raw", "level"), [
    ("no", 0), ("YES", 1), (" Often ", 2), ("ALWAYS", 3),
    ("Jamais", 0), ("parfois", 1), ("SOUVENT", 2), ("Toujours", 3),  # fr
    ("nunca", 0), ("A veces", 1), ("a menudo", 2), ("Siempre", 3),  # es
    ("never", 0), ("Sometimes", 1), ("often", 2), ("always", 3),  # en (the codes' own words)
])
def test_codes_and_labels_in_every_language(raw: str, level: int) -> None:
    scale = YES_NO if raw.strip().casefold() in ("no", "yes") else FREQUENCY
    assert level_of(raw, scale) == level


@pytest.mark.parametrize(("raw", "level"), [("Non", 0), ("Oui", 1), ("Sí", 1), ("SÍ", 1), ("Yes", 1), ("no", 0)])
def test_yes_no_labels(raw: str, level: int) -> None:
    assert level_of(raw, YES_NO) == level
    assert canonical_on(raw, YES_NO) == ("no", "yes")[level]


def test_a_code_wins_over_another_levels_label() -> None:
    table = spellings(CLASH)
    assert table["high"] == 1
    assert table["bas"] == 0 and table["bajo"] == 0 and table["top"] == 1
    assert level_of("High", CLASH) == 1


def test_level_values_within_the_tolerance() -> None:
    assert VALUE_TOLERANCE == 1e-4
    assert level_of(0, YES_NO) == 0
    assert level_of(1, YES_NO) == 1
    assert level_of(1e-4, YES_NO) == 0  # |0 - 1e-4| = 1e-4: "to within 1e-4" includes the bound
    assert level_of(0.99995, YES_NO) == 1
    assert level_of(0.00011, YES_NO) == -1
    assert level_of(0.5, YES_NO) == -1
    assert level_of(2, YES_NO) == -1
    assert level_of(-1, YES_NO) == -1
    assert level_of(0.3333, FREQUENCY) == 1  # |0.3333333333 - 0.3333| = 3.3e-5
    assert level_of(0.67, FREQUENCY) == -1  # 0.0033 from "often"
    assert level_of(" 0.6667 ", FREQUENCY) == 2
    assert level_of("1", FREQUENCY) == 3
    assert level_of("1e-4", YES_NO) == 0


@pytest.mark.parametrize(("raw", "level"), [("nan", -1), ("NaN", -1), ("inf", -1), ("-inf", -1), (float("inf"), -1)])
def test_non_finite_numbers_are_off_the_scale(raw: AnswerValue, level: int) -> None:
    # A NaN *number* is a blank cell; the *text* "nan" is something written, and not a level.
    assert level_of(raw, YES_NO) == level
    assert canonical_on(raw, YES_NO) is None


def test_booleans_on_a_yes_no_scale_only() -> None:
    assert level_of(True, YES_NO) == 1
    assert level_of(False, YES_NO) == 0
    assert canonical_on(True, YES_NO) == "yes"
    assert canonical_on(False, YES_NO) == "no"
    assert level_of(True, FREQUENCY) == -1  # not the value 1: a boolean means yes/no
    assert level_of(False, FREQUENCY) == -1


@pytest.mark.parametrize("word", sorted(DONT_KNOW_WORDS))
def test_every_dont_know_word(word: str) -> None:
    for spelling in (word, word.upper(), f"  {word.title()} "):
        assert level_of(spelling, YES_NO) is None
        assert canonical_on(spelling, FREQUENCY) == "dk"


@pytest.mark.parametrize("word", [
    "dk", "don't know", "don’t know", "dont know", "ne sait pas", "nsp", "no sabe", "ns/nc", "ns", "?",
    "DK", "Don't Know", "Ne sait pas", "NS/NC", "No Sabe",
])
def test_the_documented_dont_know_spellings(word: str, mini: Framework) -> None:
    assert canonical(mini, "q2", word) == "dk"


def test_nothing_is_unanswered() -> None:
    for raw in (None, "", "   ", "\t\n", float("nan")):
        assert is_blank(raw)
        assert level_of(raw, YES_NO) is None
        assert canonical_on(raw, YES_NO) == ""
    for raw in ("dk", "x", 0, 0.0, 1, False, True, "0"):
        assert not is_blank(raw)


# ------------------------------------------------------------------------- formula triggers


@pytest.mark.parametrize(("raw", "level"), [
    ("'=bas", 0), ("'@bajo", 0), ("'-low", 0), ("'+haut", 2), ("'-", 1),
    ("'-0", 0), ("'+1", 2), ("'\t1", 2), ("'\r1", 2), ("'+0.5", 1),
    ("=bas", 0), ("-", 1), ("Middle", 1),
])
def test_the_quote_before_a_formula_trigger_is_dropped(raw: str, level: int) -> None:
    assert level_of(raw, SIGNED) == level


@pytest.mark.parametrize("raw", ["'high", "'1", "'", "''-low", "'x-low"])
def test_any_other_quote_is_kept(raw: str) -> None:
    assert level_of(raw, SIGNED) == -1
    assert canonical_on(raw, SIGNED) is None


# ------------------------------------------------------------------------------- canonical


@pytest.mark.parametrize(("question", "raw", "code"), [
    ("q1", "Oui", "yes"), ("q1", "NO", "no"), ("q1", 1, "yes"), ("q1", 0.0, "no"), ("q1", True, "yes"),
    ("q2", "A menudo", "often"), ("q2", "0", "never"), ("q2", "never", "never"), ("q5", 1, "always"),
    ("q2", "?", "dk"), ("q2", " ", ""), ("q2", None, ""), ("q2", float("nan"), ""),
])
def test_canonical_codes(mini: Framework, question: str, raw: AnswerValue, code: str) -> None:
    assert canonical(mini, question, raw) == code


def test_unknown_question_is_refused(mini: Framework) -> None:
    with pytest.raises(AnswerRefused) as caught:
        canonical(mini, "q9", "yes")
    refused = caught.value
    assert str(refused) == "unknown question id 'q9' (not in mini 0.1.0)"
    assert (refused.question_id, refused.reason, refused.value, refused.codes) == ("q9", "unknown_question", "yes", ())
    assert isinstance(refused, ValueError)


def test_off_scale_answer_is_refused(mini: Framework) -> None:
    with pytest.raises(AnswerRefused) as caught:
        canonical(mini, "q2", 0.5)
    refused = caught.value
    assert str(refused) == "question q2: '0.5' is not on the scale frequency4 (never, sometimes, often, always, or dk)"
    assert (refused.question_id, refused.reason, refused.value) == ("q2", "off_scale", 0.5)
    assert refused.codes == ("never", "sometimes", "often", "always")


def test_off_scale_message() -> None:
    assert off_scale("maybe", YES_NO) == "'maybe' is not on the scale yes_no (no, yes, or dk)"
    # an unquoted YAML `Yes` is a boolean: named as the yes it was, with the reason (issue 11)
    assert off_scale(True, FREQUENCY) == ("'yes' is not on the scale frequency4 (never, sometimes, often, always, "
                                          "or dk) (YAML reads an unquoted Yes, No, On or Off as yes or no: quote the answer)")


# -------------------------------------------------------------------------------- comments


def test_comment_line_ends_and_blanks() -> None:
    assert clean_comment("q1", "a\r\nb") == "a\nb"
    assert clean_comment("q1", "a\rb") == "a\nb"
    assert clean_comment("q1", "a\r\r\nb\n") == "a\n\nb"
    assert clean_comment("q1", " \t\r\n ask again \r\n ") == "ask again"
    assert clean_comment("q1", "") == ""


def test_comment_limit_counts_the_cleaned_text() -> None:
    assert COMMENT_MAX_LENGTH == 5000
    at_limit = "x" * 5000
    assert clean_comment("q1", at_limit) == at_limit
    assert clean_comment("q1", f"  {at_limit}\r\n") == at_limit
    # 1 + 4998 + 1 = 5000 characters once each "\r\n" is "\n" (9998 before).
    crlf = "x" + "\r\n" * 4998 + "x"
    assert clean_comment("q1", crlf) == "x" + "\n" * 4998 + "x"


def test_comment_over_the_limit_is_refused() -> None:
    with pytest.raises(AnswerRefused) as caught:
        clean_comment("q7", "y" * 5001)
    refused = caught.value
    assert str(refused) == "question q7: the comment has 5001 characters (at most 5000)"
    assert (refused.question_id, refused.reason, refused.value, refused.codes) == ("q7", "comment_too_long", None, ())
