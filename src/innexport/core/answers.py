"""What an accepted answer is and how it is kept: the one rule of answers, for every way in.

The file readers (:mod:`innexport.files.answers`, through :func:`innexport.core.assessment.encode`),
the web questionnaire, the director's private link and the JSON API all read an answer with
:func:`level_of` / :func:`canonical` and a comment with :func:`clean_comment`; none has its own list
of accepted spellings or its own length limit.

An answer to a question is accepted when it is

* a level code of the question's scale (``often``), in any case;
* a level label in any of the framework's languages (``Often``, ``Souvent``, ``A menudo``);
* the level's value (``0.6667`` as a number or as text, to within 1e-4), or a boolean on a scale
  whose codes are ``yes``/``no``;
* "don't know": ``dk`` or one of :data:`DONT_KNOW_WORDS` (recorded, never scored: ``docs/method.md``);
* nothing (``None``, ``""``, NaN): unanswered.

This is the rule ``docs/framework-format.md`` documents (*Answer values*). An accepted answer is kept as its
canonical code: the level's code, ``dk`` (:data:`~innexport.core.framework.DONT_KNOW`),
or ``""`` for unanswered. Anything else is refused with :class:`AnswerRefused`, which names the
question and the codes it accepts. A comment is kept with its line ends normalised and its
surrounding blanks removed, and is at most :data:`COMMENT_MAX_LENGTH` characters.
"""

from __future__ import annotations

import math
from typing import Literal

from innexport.core.framework import DONT_KNOW, LANGUAGES, Framework, Scale

AnswerValue = str | int | float | bool | None
"""What a sheet may hold for an answer (text from a form or file, a number or boolean from a spreadsheet)."""

DONT_KNOW_WORDS: frozenset[str] = frozenset({
    DONT_KNOW, "don't know", "don’t know", "dont know", "ne sait pas", "nsp", "no sabe", "ns/nc", "ns", "?",
})
"""The spellings of "don't know" (case-folded), in the framework's languages."""

COMMENT_MAX_LENGTH = 5000
"""The longest comment kept on an answer (characters, after :func:`clean_comment`)."""

VALUE_TOLERANCE = 1e-4
"""How close a number must be to a level's value to be read as that level."""

_BOOL_CODES = {True: "yes", False: "no"}

Reason = Literal["unknown_question", "off_scale", "comment_too_long"]


class AnswerRefused(ValueError):
    """An answer (or comment) that is not accepted; the message names the question.

    ``reason`` is ``unknown_question``, ``off_scale`` or ``comment_too_long``; ``codes`` are the
    codes the question accepts (empty for an unknown question).
    """

    def __init__(self, question_id: str, reason: Reason, message: str, value: object = None,
                 codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.question_id = question_id
        self.reason = reason
        self.value = value
        self.codes = codes


FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"). The
spreadsheets innexport writes prefix such a text with a single quote (:func:`innexport.files.cells.safe_cell`);
an answer read back from one (a questionnaire's drop-down, e.g. ``'-2``) is the text after the quote."""


def _unquoted(text: str) -> str:
    """``text`` without the quote a spreadsheet writer put before a formula trigger."""
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_TRIGGERS else text


def spellings(scale: Scale) -> dict[str, int]:
    """Every accepted spelling of a level of ``scale`` (its code, its label in each language),
    case-folded → level index. A code wins over another level's label.

    >>> from innexport.core.framework import Scale
    >>> s = Scale.model_validate({"id": "yn", "levels": [
    ...     {"code": "no", "value": 0, "label": {"fr": "Non", "es": "No", "en": "No"}},
    ...     {"code": "yes", "value": 1, "label": {"fr": "Oui", "es": "Sí", "en": "Yes"}}]})
    >>> spellings(s)["oui"], spellings(s)["no"]
    (1, 0)
    """
    table: dict[str, int] = {}
    for i, level in enumerate(scale.levels):
        table[level.code.casefold()] = i
    for i, level in enumerate(scale.levels):
        for lang in LANGUAGES:
            table.setdefault(level.label[lang].casefold(), i)
    return table


def level_of(raw: AnswerValue, scale: Scale, table: dict[str, int] | None = None) -> int | None:
    """The index of the level ``raw`` names on ``scale``; None when unanswered or "don't know";
    -1 when it is not on the scale. ``table`` is ``spellings(scale)`` when already at hand.

    >>> from innexport.core.framework import Scale
    >>> s = Scale.model_validate({"id": "f", "levels": [
    ...     {"code": "never", "value": 0, "label": {"fr": "Jamais", "es": "Nunca", "en": "Never"}},
    ...     {"code": "often", "value": 1, "label": {"fr": "Souvent", "es": "A menudo", "en": "Often"}}]})
    >>> [level_of(x, s) for x in ("often", "SOUVENT", 0, "1.0", "dk", "", None, "maybe", 3, "'-0")]
    [1, 1, 0, 1, None, None, None, -1, -1, 0]
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raw = _BOOL_CODES[raw]
    if isinstance(raw, int | float):
        if math.isnan(raw):
            return None
        for i, level in enumerate(scale.levels):
            if abs(level.value - float(raw)) <= VALUE_TOLERANCE:
                return i
        return -1
    text = _unquoted(str(raw).strip()).casefold()
    if not text or text in DONT_KNOW_WORDS:
        return None
    table = spellings(scale) if table is None else table
    if text in table:
        return table[text]
    try:
        number = float(text)
    except ValueError:
        return -1
    return -1 if math.isnan(number) else level_of(number, scale, table)


def is_blank(raw: AnswerValue) -> bool:
    """Whether ``raw`` says nothing (unanswered): None, blank text or NaN.

    >>> [is_blank(x) for x in (None, "  ", float("nan"), "dk", 0)]
    [True, True, True, False, False]
    """
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and not raw.strip()


def canonical_on(raw: AnswerValue, scale: Scale, table: dict[str, int] | None = None) -> str | None:
    """The canonical code of ``raw`` on ``scale`` (a level code, ``dk``, or ``""``); None when it is
    not on the scale."""
    if is_blank(raw):
        return ""
    level = level_of(raw, scale, table)
    if level is None:
        return DONT_KNOW
    return None if level < 0 else scale.levels[level].code


def off_scale(raw: AnswerValue, scale: Scale) -> str:
    """How an answer off its scale is refused (the question is named by the caller).

    >>> from innexport.core.framework import Scale
    >>> off_scale("maybe", Scale.model_validate({"id": "yn", "levels": [
    ...     {"code": "no", "value": 0, "label": {"fr": "Non", "es": "No", "en": "No"}},
    ...     {"code": "yes", "value": 1, "label": {"fr": "Oui", "es": "Sí", "en": "Yes"}}]}))
    "'maybe' is not on the scale yn (no, yes, or dk)"

    A boolean is named as the yes/no it was read from (an unquoted ``Yes`` in YAML is ``true``).
    """
    shown = _BOOL_CODES[raw] if isinstance(raw, bool) else raw
    hint = " (YAML reads an unquoted Yes, No, On or Off as yes or no: quote the answer)" if isinstance(raw, bool) else ""
    return (f"'{shown}' is not on the scale {scale.id} ({', '.join(level.code for level in scale.levels)}, "
            f"or {DONT_KNOW}){hint}")


def canonical(framework: Framework, question_id: str, raw: AnswerValue) -> str:
    """The code kept for the answer ``raw`` to ``question_id``: its level's code, ``dk`` or ``""``.

    Raises :class:`AnswerRefused` (naming the question) for an unknown question or an answer off
    its scale.

    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep")
    >>> q = "net_weak_ties_support_bodies"
    >>> [canonical(fw, q, x) for x in ("often", "Souvent", "NE SAIT PAS", " ")]
    ['often', 'often', 'dk', '']
    >>> canonical(fw, q, "yes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    innexport.core.answers.AnswerRefused: question net_weak_ties_support_bodies: 'yes' is not on the scale ...
    """
    obs = framework.observable_by_id.get(question_id)
    if obs is None:
        raise AnswerRefused(question_id, "unknown_question",
                            f"unknown question id '{question_id}' (not in {framework.label})", raw)
    scale = framework.scale_by_id[obs.scale]
    code = canonical_on(raw, scale)
    if code is None:
        codes = tuple(level.code for level in scale.levels)
        raise AnswerRefused(question_id, "off_scale", f"question {question_id}: {off_scale(raw, scale)}", raw, codes)
    return code


def clean_comment(question_id: str, text: str) -> str:
    """The comment as kept: line ends as ``\\n``, no surrounding blanks; refused (naming the
    question) when longer than :data:`COMMENT_MAX_LENGTH`.

    >>> clean_comment("q1", "  ask the chamber\\r\\nagain ")
    'ask the chamber\\nagain'
    >>> clean_comment("q1", "x" * 5001)
    Traceback (most recent call last):
    ...
    innexport.core.answers.AnswerRefused: question q1: the comment has 5001 characters (at most 5000)
    """
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(cleaned) > COMMENT_MAX_LENGTH:
        raise AnswerRefused(question_id, "comment_too_long",
                            f"question {question_id}: the comment has {len(cleaned)} characters "
                            f"(at most {COMMENT_MAX_LENGTH})", None)
    return cleaned
