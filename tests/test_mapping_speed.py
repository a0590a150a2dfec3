"""The vectorised translation of survey answers (issue 14, import speed) gives what the per-row one gave.

``population.mapping`` used to translate each answer of each row through a Python lambda
(``answers.map``), to scan the column once per unforeseen answer, and to test ``only_when`` and
the firm ids row by row. It now looks at each DISTINCT answer once and spreads the results by
code. The per-row functions are kept here, verbatim, as the reference: hypothesis draws columns
mixing whole and decimal numbers, numeric texts, texts with stray blanks, booleans, None and NaN,
in every dtype a survey reader gives (object, float, int, bool, pandas' string dtype,
categoricals with unused categories), and the new functions must give exactly the reference's
values (dtype, type of each value, where None and NaN are), its unforeseen answers (same keys,
same order, same rows) and the same rows for ``only_when``. The timing is bench/bench_import.py's
business, never a test's.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ENDEI, requires_shared
from innexport.files.frameworks import load_framework
from innexport.population import mapping as m
from innexport.population.frame import FIRM_ID
from innexport.population.io import Survey

# --- the reference: the per-row functions as they were before issue 14 --------------------------------------


def old_answers(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(object).where(series.notna(), np.nan)
    return series


def old_translate(series: pd.Series, table: dict[Any, Any]) -> tuple[pd.Series, dict[Any, np.ndarray]]:
    lookup = m._Lookup(table)
    answers = old_answers(series)
    present = answers.notna().to_numpy()
    translation: dict[Any, Any] = {}
    unforeseen: dict[Any, np.ndarray] = {}
    for answer in pd.unique(answers[present]):
        found = lookup.get(answer)
        if found is m._Lookup._MISSING:
            unforeseen[answer] = np.flatnonzero(present & (answers == answer).to_numpy())
        else:
            translation[answer] = found
    out = answers.map(lambda a: translation.get(a) if a == a and a is not None else None)
    return out, unforeseen


def old_numbers(series: pd.Series) -> tuple[np.ndarray, dict[Any, np.ndarray]]:
    answers = old_answers(series)
    if pd.api.types.is_bool_dtype(answers.dtype):
        return answers.astype(float).to_numpy(), {}
    numbers = pd.to_numeric(answers, errors="coerce")
    bad = answers.notna().to_numpy() & numbers.isna().to_numpy()
    unforeseen = {a: np.flatnonzero(bad & (answers == a).to_numpy()) for a in pd.unique(answers[bad])}
    return numbers.to_numpy(dtype=float), unforeseen


def old_keep(series: pd.Series, in_: list[Any]) -> np.ndarray:
    lookup = m._Lookup({k: True for k in in_})
    answers = old_answers(series)
    return np.array([a == a and a is not None and lookup.get(a) is True for a in answers], dtype=bool)


# --- comparing exactly -----------------------------------------------------------------------------------------


def typed(value: Any) -> tuple[Any, ...]:
    """A value with its type; NaN made comparable (NaN is not None, 1 is not 1.0 is not True)."""
    if isinstance(value, float) and math.isnan(value):
        return (type(value), "nan")
    return (type(value), value)


def assert_same_series(new: pd.Series, old: pd.Series) -> None:
    assert new.dtype == old.dtype
    assert new.index.equals(old.index)
    assert new.name == old.name
    assert [typed(v) for v in new.tolist()] == [typed(v) for v in old.tolist()]


def assert_same_unforeseen(new: dict[Any, np.ndarray], old: dict[Any, np.ndarray]) -> None:
    assert [typed(k) for k in new] == [typed(k) for k in old]  # same answers, same order
    for (k_new, rows_new), rows_old in zip(new.items(), old.values(), strict=True):
        assert rows_new.dtype == rows_old.dtype, k_new
        assert rows_new.tolist() == rows_old.tolist(), k_new


# --- columns as surveys give them --------------------------------------------------------------------------------

TEXTS = ["a", " a", "a  b", "a b ", "b", "A", "", "1", "1.0", " 2 ", "01", "1e0", "nan", "True", "-0.0", "x"]
NUMBERS = [0, 1, 2, 3, -1, 0.0, -0.0, 1.0, 1.5, 2.0, 2.5, True, False, np.int64(1), np.float64(2.0), np.float64(0.5)]
MISSING = [None, np.nan]

anything = st.sampled_from(TEXTS + NUMBERS + MISSING)
floats = st.sampled_from([0.0, -0.0, 1.0, 2.0, 1.5, 3.0, np.nan])


@st.composite
def columns(draw: st.DrawFn) -> pd.Series:
    """A survey column: its dtype, values (None/NaN where missing), index and name."""
    n = draw(st.integers(0, 25))
    kind = draw(st.sampled_from(["object", "float", "int", "bool", "str", "category-str", "category-num"]))
    if kind == "object":
        values: Any = draw(st.lists(anything, min_size=n, max_size=n))
        series = pd.Series(values, dtype=object)
    elif kind == "float":
        series = pd.Series(draw(st.lists(floats, min_size=n, max_size=n)), dtype=float)
    elif kind == "int":
        series = pd.Series(draw(st.lists(st.integers(-2, 4), min_size=n, max_size=n)), dtype="int64")
    elif kind == "bool":
        series = pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    elif kind == "str":
        series = pd.Series(draw(st.lists(st.sampled_from([*TEXTS, None]), min_size=n, max_size=n)), dtype="str")
    else:
        labels: list[Any] = TEXTS[:8] if kind == "category-str" else [0, 1, 2, 5, 7]
        values = draw(st.lists(st.sampled_from([*labels, None]), min_size=n, max_size=n))
        used = list(dict.fromkeys(v for v in values if v is not None))
        unused = draw(st.lists(st.sampled_from(labels), max_size=3))  # categories no row answers
        categories = list(dict.fromkeys(draw(st.permutations(used)) + unused))
        series = pd.Series(pd.Categorical(values, categories=categories))
    if draw(st.booleans()):  # not always the 0..n-1 index a reader gives
        series.index = pd.RangeIndex(10, 10 + n)
    series.name = draw(st.sampled_from([None, "p.3.1"]))
    return series


keys = st.sampled_from([0, 1, 2, 1.5, -1, "a", "a b", "b", "1", "1.0", "2", "True", "-0.0", "x", "nan"])
tables = st.dictionaries(keys, st.sampled_from([0.0, 0.5, 1.0, None, "small", "large"]), max_size=8)


# --- _translate -------------------------------------------------------------------------------------------------


@given(columns(), tables)
def test_translate_gives_what_the_per_row_map_gave(series: pd.Series, table: dict[Any, Any]) -> None:
    before = series.copy()
    new, new_unforeseen = m._translate(series, table)
    old, old_unforeseen = old_translate(series, table)
    assert_same_series(new, old)
    assert_same_unforeseen(new_unforeseen, old_unforeseen)
    pd.testing.assert_series_equal(series, before)  # the survey's column is left as it was


@given(columns(), st.lists(st.sampled_from(["a", "b", "x", 1, 2, 1.5, 0]), min_size=2, max_size=4, unique=True))
def test_order_tables_translate_as_before(series: pd.Series, order: list[Any]) -> None:
    """An ``order`` is a table of evenly spread floats: the same answers, whichever dtype the column has."""
    table = {a: i / (len(order) - 1) for i, a in enumerate(order)}
    new, new_unforeseen = m._translate(series, table)
    old, old_unforeseen = old_translate(series, table)
    assert_same_series(new, old)
    assert_same_unforeseen(new_unforeseen, old_unforeseen)


def test_translate_by_hand() -> None:
    """Each answer's rows, in order of first appearance; blanks collapsed; ``1`` is ``"1"`` is ``1.0``."""
    series = pd.Series(["a", "x", "b", " x", "y", None, "a  ", 1, "1", 1.0, "y"], dtype=object)
    out, unforeseen = m._translate(series, {"a": 1.0, "x": 0.0, 1: 0.5})
    assert out.dtype == float  # numbers and missing answers: floats, NaN where missing or unforeseen
    nan = np.nan
    np.testing.assert_array_equal(out.to_numpy(), [1.0, 0.0, nan, 0.0, nan, nan, 1.0, 0.5, 0.5, 0.5, nan])
    assert {k: v.tolist() for k, v in unforeseen.items()} == {"b": [2], "y": [4, 10]}
    assert list(unforeseen) == ["b", "y"]


def test_an_unused_category_is_not_unforeseen() -> None:
    """A category no firm answered is not reported, however the recode lists it."""
    series = pd.Series(pd.Categorical(["no", None, "yes", "no"], categories=["maybe", "yes", "no"]))
    out, unforeseen = m._translate(series, {"yes": 1.0, "no": 0.0})
    np.testing.assert_array_equal(out.to_numpy(), [0.0, np.nan, 1.0, 0.0])
    assert unforeseen == {}
    out, unforeseen = m._translate(series, {"yes": 1.0})
    assert {k: v.tolist() for k, v in unforeseen.items()} == {"no": [0, 3]}


def test_missing_answers_of_every_kind_are_missing() -> None:
    """pd.NA (which the per-row lambda could not even compare) is missing, as None and NaN are."""
    series = pd.Series(["yes", pd.NA, None, np.nan, "no"], dtype=object)
    out, unforeseen = m._translate(series, {"yes": 1.0, "no": 0.0})
    assert out.isna().tolist() == [False, True, True, True, False]
    assert out.dropna().tolist() == [1.0, 0.0]
    assert unforeseen == {}
    assert m._rows_in(series, ["yes"]).tolist() == [True, False, False, False, False]


# --- _numbers, only_when, firm ids ----------------------------------------------------------------------------


@given(columns())
def test_numbers_give_what_they_gave(series: pd.Series) -> None:
    new, new_unforeseen = m._numbers(series)
    old, old_unforeseen = old_numbers(series)
    assert new.dtype == old.dtype
    np.testing.assert_array_equal(new, old)
    assert_same_unforeseen(new_unforeseen, old_unforeseen)


def test_numbers_by_hand() -> None:
    series = pd.Series(["3", "x", 2.5, None, "x ", "x", "7"], dtype=object)
    numbers, unforeseen = m._numbers(series)
    np.testing.assert_array_equal(numbers, [3.0, np.nan, 2.5, np.nan, np.nan, np.nan, 7.0])
    assert {k: v.tolist() for k, v in unforeseen.items()} == {"x": [1, 5], "x ": [4]}


@given(columns(), st.lists(keys, min_size=1, max_size=4))
def test_only_when_keeps_the_rows_it_kept(series: pd.Series, in_: list[Any]) -> None:
    assert m._rows_in(series, in_).tolist() == old_keep(series, in_).tolist()


def test_only_when_tells_true_from_one_as_before() -> None:
    """``True`` and ``1`` are one answer to pandas but not to a condition listing the text "True"."""
    series = pd.Series([1, True, 1.0, "True", 0, False, None], dtype=object)
    assert m._rows_in(series, ["True"]).tolist() == [False, True, False, True, False, False, False]
    assert m._rows_in(series, [1]).tolist() == [True, True, True, False, False, False, False]
    assert m._rows_in(series, ["-0.0"]).tolist() == [False] * 7
    assert m._rows_in(pd.Series([0.0, -0.0, 1.0]), ["-0.0"]).tolist() == [False, True, False]


ids = st.one_of(
    st.lists(st.integers(-(2**62), 2**62), max_size=12).map(lambda v: pd.Series(v, dtype="int64")),
    st.lists(st.sampled_from([0.0, -0.0, 12.0, 2.5, -3.0, 1e15, 1e20, 2.0**63, -(2.0**63), np.nan, np.inf]),
             max_size=12).map(lambda v: pd.Series(v, dtype=float)),
    st.lists(st.sampled_from(["AR-001", "7", 7, 7.0, 2.5, np.int64(3)]), max_size=12).map(
        lambda v: pd.Series(v, dtype=object)),
)


@given(ids)
def test_firm_ids_are_written_as_id_text_writes_each(column: pd.Series) -> None:
    assert m.id_texts(column) == [m.id_text(v) for v in column]


# --- end to end on the real survey --------------------------------------------------------------------------------


@requires_shared(ENDEI)
def test_endei_rows_in_another_order_give_the_same_firms(endei_survey: Survey) -> None:
    """Each firm's row of the population table depends on its answers only: the ENDEI II firms
    shuffled give each firm the same observables, groups, outcomes, scores and classes."""
    data = endei_survey.data
    order = np.random.default_rng(14).permutation(len(data))
    shuffled = Survey(data=data.iloc[order].reset_index(drop=True), weight=endei_survey.weight,
                      source=endei_survey.source, id_column=endei_survey.id_column)
    frame = m.apply_mapping(endei_survey, "endei2").set_index(FIRM_ID)
    again = m.apply_mapping(shuffled, "endei2").set_index(FIRM_ID)
    assert len(frame) == len(data) > 3000
    pd.testing.assert_frame_equal(again.loc[frame.index], frame)


MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
SPEED_MAPPING = """\
kind: mapping
id: speed_mini
title: {fr: Sept entreprises, es: Siete empresas, en: Seven firms}
survey: "Seven firms written by hand"
framework: {id: mini, version: "0.1"}
groups:
  size: {column: staff, bands: [[0, micro], [10, small], [50, large]]}
observables:
  q1: {column: innov, recode: {Si: 1, No: 0}}
  q2: {column: coop_uni, recode: {Si: 1, No: 0}, only_when: {column: coop, in: [Si]}, otherwise: 0}
  q3: {column: freq, order: [Nunca, A veces, Siempre]}
  q4: {column: share, scale: [0, 100]}
  q5: {column: level, recode: {bajo: 0, alto: 1}}
"""


def seven_firms() -> pd.DataFrame:
    return pd.DataFrame({
        "innov": pd.Series(["Si", "No", None, "Si ", "No", "Si", "No"], dtype="str"),
        "coop": pd.Series(["Si", "No", "Si", None, "Si", "No", "Si"], dtype="str"),
        "coop_uni": pd.Series(["Si", None, "No", "Si", None, "Si", "No"], dtype="str"),
        "freq": pd.Series(["Siempre", "Nunca", "A veces", None, "Nunca", "Siempre", "A veces"], dtype=object),
        "share": [0.0, 50.0, 100.0, 25.0, np.nan, 75.0, 10.0],
        "level": pd.Categorical(["alto", "bajo", None, "alto", "bajo", "bajo", "alto"], categories=["bajo", "alto", "medio"]),
        "staff": [5, 10, 49, 50, 200, 0, 9],
    })


def test_seven_firms_by_hand() -> None:
    """Every kind of translation on columns of every dtype, the values worked out by hand."""
    framework = load_framework(MINI)
    survey = Survey(data=seven_firms(), weight=None, source="seven.csv")
    pop = m.apply_mapping(survey, m.parse_mapping(SPEED_MAPPING), framework)
    nan = np.nan
    hand = np.array([
        # q1  q2   q3   q4    q5
        [1.0, 1.0, 1.0, 0.0, 1.0],    # Si; cooperates, with a university; Siempre; 0 %; alto
        [0.0, 0.0, 0.0, 0.5, 0.0],    # No; cooperates with nobody: otherwise 0; Nunca; 50 %; bajo
        [nan, 0.0, 0.5, 1.0, nan],    # (missing); cooperates, not with a university; A veces; 100 %; (missing)
        [1.0, nan, nan, 0.25, 1.0],   # "Si " is Si; cooperation not answered; (missing); 25 %; alto
        [0.0, nan, 0.0, nan, 0.0],    # No; cooperates, university not answered; Nunca; (missing); bajo
        [1.0, 0.0, 1.0, 0.75, 0.0],   # Si; cooperates with nobody: 0 (its "Si" is not asked); Siempre; 75 %; bajo
        [0.0, 0.0, 0.5, 0.1, 1.0],    # No; cooperates, not with a university; A veces; 10 %; alto
    ])
    obs = pop[[f"obs.{q}" for q in ("q1", "q2", "q3", "q4", "q5")]].to_numpy()
    np.testing.assert_allclose(obs, hand, atol=1e-12)
    assert pop["size"].tolist() == ["micro", "small", "small", "large", "large", "micro", "micro"]
    assert pop[FIRM_ID].tolist() == ["1", "2", "3", "4", "5", "6", "7"]


def test_many_unforeseen_answers_are_named_in_order_with_their_rows() -> None:
    """Five answers shown in order of first appearance, each with its rows (1-based), then how many more."""
    data = seven_firms()
    data["innov"] = pd.Series(["a", "b", "c", "g", "a", "d", "e"], dtype="str")
    data.loc[6, "coop_uni"] = "f"
    survey = Survey(data=data, weight=None, source="seven.csv")
    with pytest.raises(m.MappingError) as caught:
        m.apply_mapping(survey, m.parse_mapping(SPEED_MAPPING), load_framework(MINI))
    message = str(caught.value)
    assert ("column 'innov' of seven.csv has answers that the recode does not list: 'a' (rows 1, 5); 'b' (row 2); "
            "'c' (row 3); 'g' (row 4); 'd' (row 6); and 1 more answers\n") in message + "\n"
    assert "column 'coop_uni' of seven.csv has answers that the recode does not list: 'f' (row 7)" in message
