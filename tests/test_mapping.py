"""Instrument mappings (innexport.population.mapping).

A hand-made mini survey read through a mini mapping onto tests/fixtures/mini.yaml, with every value
computed by hand; the errors a mapping must name; and the built-in ENDEI II mapping, checked for
honesty (notes, fidelity, one question per observable, every uncovered activity explained) and
applied to the real file (../shared/data, never copied into the repository; skipped when absent).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ENDEI, requires_shared
from innexport.files.frameworks import load_framework
from innexport.population.frame import score_population
from innexport.population.io import Survey, SurveyError
from innexport.population.mapping import (
    MappingError,
    apply_mapping,
    builtin_mappings,
    coverage,
    load_mapping,
    parse_mapping,
    read_for_mapping,
)

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
needs_endei = requires_shared(ENDEI)
WINE = "Vinos y otras bebidas fermentadas"

MINI_MAPPING = """\
kind: mapping
id: mini_survey
title: {fr: Mini enquête, es: Mini encuesta, en: Mini survey}
survey: "A hand-made survey of five firms"
framework: {id: mini, version: "0.1"}
id_column: id
weight: w
missing_codes: [-99, "Ns/Nc"]
groups:
  country: {value: FR}
  size: {column: tam, recode: {P: small, G: large}}
outcomes:
  exports: {column: share, bands: [[0, 0], [1, 1]]}
  frequency: {column: freq, order: [Nunca, A veces, Seguido, Siempre]}
observables:
  q1:
    column: innov
    recode: {Si: 1, No: 0}
    note: a bare No stays the answer "No" (YAML 1.2 booleans)
  q2: {column: freq, order: [Nunca, A veces, Seguido, Siempre]}
  q3: {any_of: [c1, c2]}
  q4:
    column: share
    bands: [[0, 0], [10, 0.5], [50, 1]]
    reverse: true
  q5:
    mean_of: [m1, m2]
    recode: {bajo: 0, medio: 0.5, alto: 1}
"""

# The five firms' answers and, below, the observable values computed by hand.
SURVEY = pd.DataFrame({
    "id": ["A", "B", "C", "D", "E"],
    "w": [1.0, 2.0, 1.5, 1.0, 0.5],
    "tam": ["P", "G", "P", "G", None],
    "innov": ["Si", "No", "Si", "Ns/Nc", "No"],
    "freq": ["Siempre", "Nunca", "A veces", "Seguido", None],
    "c1": [1.0, 0.0, 0.0, np.nan, 0.0],
    "c2": [0.0, 0.0, 1.0, np.nan, np.nan],
    "share": [0.0, 5.0, 25.0, 60.0, -99.0],
    "m1": pd.Categorical(["alto", "bajo", "medio", "alto", "bajo"]),
    "m2": pd.Categorical(["alto", "medio", None, "bajo", "bajo"]),
})
NAN = np.nan
HAND = np.array([
    # q1   q2     q3   q4 (reversed band)  q5 (mean)
    [1.0, 1.0,   1.0, 1.0, 1.0],    # A: Si, Siempre, c1=1, 0% → band 0 → 1, alto/alto
    [0.0, 0.0,   0.0, 1.0, 0.25],   # B: No, Nunca, none, 5% → band 0 → 1, bajo/medio
    [1.0, 1 / 3, 1.0, 0.5, 0.5],    # C: Si, A veces, c2=1, 25% → 0.5 → 0.5, medio/(missing)
    [NAN, 2 / 3, NAN, 0.0, 0.5],    # D: Ns/Nc, Seguido, both missing, 60% → 1 → 0, alto/bajo
    [0.0, NAN,   0.0, NAN, 0.0],    # E: No, (missing), c1=0, -99 missing, bajo/bajo
])


@pytest.fixture(scope="module")
def mini():
    return load_framework(MINI)


def survey(data: pd.DataFrame | None = None, source: str = "mini_survey.csv") -> Survey:
    return Survey(data=(SURVEY if data is None else data).copy(), weight=None, source=source)


def write_mapping(tmp_path: Path, text: str, name: str = "mini_mapping.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mini_mapping_by_hand(mini, tmp_path: Path) -> None:
    mapping = load_mapping(write_mapping(tmp_path, MINI_MAPPING), framework=mini)
    pop = apply_mapping(survey(), mapping, mini)
    obs = pop[[f"obs.{o}" for o in ("q1", "q2", "q3", "q4", "q5")]].to_numpy()
    np.testing.assert_allclose(obs, HAND, atol=1e-12)
    assert pop["firm_id"].tolist() == ["A", "B", "C", "D", "E"]
    np.testing.assert_allclose(pop["weight"], [1.0, 2.0, 1.5, 1.0, 0.5])
    assert pop["country"].tolist() == ["FR"] * 5
    assert pop["size"].tolist()[:4] == ["small", "large", "small", "large"] and pd.isna(pop["size"].iloc[4])
    np.testing.assert_allclose(pop["exports"], [0.0, 1.0, 1.0, 1.0, NAN])
    assert pop["frequency"].cat.ordered and list(pop["frequency"].cat.categories) == ["Nunca", "A veces", "Seguido", "Siempre"]
    assert pop["frequency"].astype(object).tolist()[:4] == ["Siempre", "Nunca", "A veces", "Seguido"]
    # the indices are the core's on the hand values…
    core = score_population(mini, HAND, pd.DataFrame({"firm_id": list("ABCDE")}), [1.0, 2.0, 1.5, 1.0, 0.5])
    for col in ("iip", "iep", "iiep", "completeness", "act.a_joint", "act.a_inn", "act.a_exp", "dim.d1", "dim.d2"):
        np.testing.assert_allclose(pop[col], core[col], atol=1e-12, err_msg=col)
    assert pop["class.iip"].tolist() == core["class.iip"].tolist()
    # …and, for firm B, by hand: a_joint 0, a_inn 0, a_exp (1·1 + 3·0.25)/4
    b = pop.iloc[1]
    assert b["act.a_exp"] == pytest.approx(0.4375)
    assert b["iip"] == pytest.approx(0.0)
    assert b["iep"] == pytest.approx((0.0 + 0.4375) / 2)
    assert b["iiep"] == pytest.approx((0.0 + 0.4375) / 2)
    assert pop.attrs["mapping"] == "mini_survey" and pop.attrs["survey"] == "mini_survey.csv"
    assert pop.attrs["framework"] == mini.label


def test_read_for_mapping_reads_with_the_mappings_codes(mini, tmp_path: Path) -> None:
    csv = tmp_path / "mini.csv"
    SURVEY.to_csv(csv, index=False)
    mapping = load_mapping(write_mapping(tmp_path, MINI_MAPPING), framework=mini)
    read = read_for_mapping(csv, mapping)
    assert read.weight == "w" and read.id_column == "id" and pd.isna(read.data["share"].iloc[4])
    pop = apply_mapping(read, mapping, mini)
    np.testing.assert_allclose(pop[[f"obs.q{k}" for k in range(1, 6)]].to_numpy(), HAND, atol=1e-12)


def test_sum_of_only_when_max_of_all_of(mini) -> None:
    text = MINI_MAPPING.split("observables:")[0] + """observables:
  q1: {all_of: [c1, c2]}
  q2: {column: freq, order: [Nunca, A veces, Seguido, Siempre]}
  q3:
    sum_of: [c1, c2]
    bands: [[0, 0], [1, 0.5], [2, 1]]
    only_when: {column: innov, in: [Si, No]}
  q4: {column: share, bands: [[0, 0], [10, 0.5], [50, 1]]}
  q5: {max_of: [m1, m2], recode: {bajo: 0, medio: 0.5, alto: 1}}
"""
    pop = apply_mapping(survey(), parse_mapping(text, "variant.yaml"), mini)
    np.testing.assert_allclose(pop["obs.q1"], [0.0, 0.0, 0.0, NAN, 0.0])  # all_of over the answered columns
    np.testing.assert_allclose(pop["obs.q3"], [0.5, 0.0, 0.5, NAN, 0.0])  # D (innov Ns/Nc) is outside only_when
    np.testing.assert_allclose(pop["obs.q4"], [0.0, 0.0, 0.5, 1.0, NAN])  # bands, not reversed
    np.testing.assert_allclose(pop["obs.q5"], [1.0, 0.5, 0.5, 1.0, 0.0])  # max_of


def test_without_id_column_rows_are_numbered(mini, tmp_path: Path) -> None:
    text = MINI_MAPPING.replace("id_column: id\n", "")
    pop = apply_mapping(survey(), parse_mapping(text), mini)
    assert pop["firm_id"].tolist() == ["1", "2", "3", "4", "5"]


# --- errors ---------------------------------------------------------------------------------------


def test_unknown_column_is_named(mini, tmp_path: Path) -> None:
    path = write_mapping(tmp_path, MINI_MAPPING.replace("column: innov", "column: innovates").replace(
        "mean_of: [m1, m2]", "mean_of: [m1, m3]"))
    mapping = load_mapping(path, framework=mini)
    with pytest.raises(MappingError) as err:
        apply_mapping(survey(), mapping, mini)
    message = str(err.value)
    assert "unknown column 'innovates' in mini_survey.csv" in message and "observables → q1" in message
    assert "unknown column 'm3'" in message and "observables → q5" in message
    assert f"{path}:" in message  # file and line of the observable
    line = MINI_MAPPING.splitlines().index("  q1:") + 1
    assert f"{path}:{line}: observables → q1" in message


def test_answer_outside_the_recode_is_named_with_rows(mini, tmp_path: Path) -> None:
    data = SURVEY.copy()
    data.loc[[1, 4], "innov"] = "Quizas"
    mapping = load_mapping(write_mapping(tmp_path, MINI_MAPPING), framework=mini)
    with pytest.raises(MappingError) as err:
        apply_mapping(survey(data), mapping, mini)
    message = str(err.value)
    assert "observables → q1 → recode" in message and "column 'innov'" in message
    assert "'Quizas' (rows 2, 5)" in message


def test_answer_outside_the_order_and_non_numbers(mini, tmp_path: Path) -> None:
    data = SURVEY.copy()
    data.loc[2, "freq"] = "Jamás"
    data["share"] = data["share"].astype(object)
    data.loc[0, "share"] = "mucho"
    mapping = load_mapping(write_mapping(tmp_path, MINI_MAPPING), framework=mini)
    with pytest.raises(MappingError) as err:
        apply_mapping(survey(data), mapping, mini)
    message = str(err.value)
    assert "'Jamás' (row 3)" in message and "observables → q2 → order" in message
    assert "'mucho' (row 1)" in message and "numbers expected" in message


def test_unknown_observable_id(mini, tmp_path: Path) -> None:
    path = write_mapping(tmp_path, MINI_MAPPING + "  q9: {column: innov, recode: {Si: 1, No: 0}}\n")
    with pytest.raises(MappingError) as err:
        load_mapping(path, framework=mini)
    line = len(MINI_MAPPING.splitlines()) + 1
    assert f"{path}:{line}: observables → q9: unknown observable 'q9' in framework mini 0.1.0" in str(err.value)


def test_recode_value_outside_unit_interval(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, MINI_MAPPING.replace("recode: {Si: 1, No: 0}", "recode: {Si: 2, No: 0}"))
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    message = str(err.value)
    assert str(path) in message and "observables → q1" in message and "[0, 1]" in message and "'Si' → 2" in message


@pytest.mark.parametrize(("change", "expected"), [
    (("q3: {any_of: [c1, c2]}", "q3: {any_of: [c1, c2], column: c1}"), "exactly one of"),
    (("q3: {any_of: [c1, c2]}", "q3: {sum_of: [c1, c2]}"), "`sum_of` needs `bands`"),
    (("bands: [[0, 0], [10, 0.5], [50, 1]]", "bands: [[10, 0], [0, 0.5]]"), "increasing order"),
    (("    reverse: true\n", "    reverse: true\n    colour: red\n"), "unknown field 'colour'"),
    (("order: [Nunca, A veces, Seguido, Siempre]}", "order: [Nunca, Nunca, Siempre]}"), "lists an answer twice"),
])
def test_invalid_mappings_say_where(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    assert change[0] in MINI_MAPPING
    path = write_mapping(tmp_path, MINI_MAPPING.replace(change[0], change[1], 1))
    with pytest.raises(MappingError, match=expected) as err:
        load_mapping(path)
    assert str(path) in str(err.value)


def test_not_a_mapping_or_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="kind: mapping"):
        load_mapping(write_mapping(tmp_path, "kind: framework\n"))
    with pytest.raises(MappingError, match="YAML"):
        load_mapping(write_mapping(tmp_path, "kind: mapping\nobservables: [\n"))
    with pytest.raises(MappingError, match="no built-in mapping 'nope'"):
        load_mapping("nope")


def test_uncovered_activity_must_be_explained(mini, tmp_path: Path) -> None:
    text = MINI_MAPPING.replace("  q3: {any_of: [c1, c2]}\n", "")
    with pytest.raises(MappingError, match="activity a_inn has no mapped observable: list it in not_covered"):
        load_mapping(write_mapping(tmp_path, text), framework=mini)
    explained = text + "not_covered:\n  - {activity: a_inn, reason: the survey has no innovation question}\n"
    mapping = load_mapping(write_mapping(tmp_path, explained), framework=mini)
    cov = coverage(mapping, mini).set_index("activity")
    assert cov.loc["a_inn", "covered"] == 0 and cov.loc["a_inn", "reason"] == "the survey has no innovation question"
    assert cov.loc["a_exp", "covered"] == 2 and cov.loc["a_exp", "share"] == 1.0
    pop = apply_mapping(survey(), mapping, mini)
    assert pop["obs.q3"].isna().all() and pop["act.a_inn"].isna().all()
    wrong = text + "not_covered:\n  - {activity: a_exp, reason: contradicts the mapping of q4}\n"
    with pytest.raises(MappingError, match="activity a_exp is listed as not covered but q4, q5 are mapped"):
        load_mapping(write_mapping(tmp_path, wrong), framework=mini)


def test_framework_version_must_match(mini, tmp_path: Path) -> None:
    path = write_mapping(tmp_path, MINI_MAPPING.replace('version: "0.1"', 'version: "1"'))
    with pytest.raises(MappingError, match=r"the mapping is for mini 1\.\*, not mini 0\.1\.0"):
        load_mapping(path, framework=mini)


def test_any_of_needs_zero_one_answers(mini) -> None:
    data = SURVEY.copy()
    data.loc[0, "c1"] = 0.5
    with pytest.raises(MappingError, match=r"any_of needs answers worth 0 or 1; column\(s\) c1 .* row 1"):
        apply_mapping(survey(data), parse_mapping(MINI_MAPPING), mini)


def test_values_outside_unit_interval_at_apply_time(mini) -> None:
    data = SURVEY.copy()
    data["c1"] = [1.0, 0.0, 3.0, np.nan, 0.0]
    text = MINI_MAPPING.replace("q3: {any_of: [c1, c2]}", "q3: {column: c1}")
    with pytest.raises(MappingError, match=r"values must lie in \[0, 1\]; got 3 .* row 3"):
        apply_mapping(survey(data), parse_mapping(text), mini)


def test_a_rating_on_a_scale_by_hand(mini) -> None:
    """scale [1, 5]: (x - 1) / 4 for each column, then the combination (here the mean)."""
    data = SURVEY.copy()
    data["r1"] = [1.0, 5.0, 3.0, np.nan, 3.6666667]
    data["r2"] = [3.0, 5.0, np.nan, np.nan, 2.0]
    text = MINI_MAPPING.replace("q3: {any_of: [c1, c2]}", "q3: {mean_of: [r1, r2], scale: [1, 5]}")
    pop = apply_mapping(survey(data), parse_mapping(text), mini)
    # A: (0 + 0.5) / 2; B: 1; C: r1 only, 0.5; D: neither answered; E: (0.6666667 + 0.25) / 2
    np.testing.assert_allclose(pop["obs.q3"], [0.25, 1.0, 0.5, NAN, (2.6666667 / 4 + 0.25) / 2])
    data.loc[2, "r2"] = 5.5
    with pytest.raises(MappingError, match=r"column 'r2' of .* outside the scale \[1, 5\] \(5.5…\) in row 3"):
        apply_mapping(survey(data), parse_mapping(text), mini)


@pytest.mark.parametrize(("scale", "expected"), [
    ("scale: [5, 1]", "low < high"), ("scale: [1, 5], recode: {a: 1}", "give `scale` or `recode`"),
    ("scale: [1, .inf]", "finite numbers"),
])
def test_a_scale_must_be_a_scale(scale: str, expected: str) -> None:
    text = MINI_MAPPING.replace("q3: {any_of: [c1, c2]}", f"q3: {{mean_of: [r1, r2], {scale}}}")
    with pytest.raises(MappingError, match=expected):
        parse_mapping(text, "scale.yaml")


def test_bad_weights_through_a_mapping(mini) -> None:
    data = SURVEY.copy()
    data.loc[3, "w"] = -1.0
    with pytest.raises(SurveyError, match=r"weight column 'w'.*negative in row 4"):
        apply_mapping(survey(data), parse_mapping(MINI_MAPPING), mini)


def test_reserved_names_are_refused() -> None:
    with pytest.raises(MappingError, match="'iip' is a column of the population table"):
        parse_mapping(MINI_MAPPING.replace("  country: {value: FR}", "  iip: {value: FR}"))


# --- the built-in ENDEI II mapping ----------------------------------------------------------------


@pytest.fixture(scope="module")
def iiep():
    return load_framework("iiep")


@pytest.fixture(scope="module")
def endei_mapping(iiep):
    return load_mapping("endei2", framework=iiep)


def test_endei_mapping_is_built_in_and_valid(endei_mapping, iiep) -> None:
    assert "endei2" in builtin_mappings()
    assert endei_mapping.weight == "factor2" and endei_mapping.id_column == "ide_endei_ii"
    assert {"Ns/Nc", -99.0} <= set(endei_mapping.missing_codes)
    assert endei_mapping.groups["country"].value == "AR"
    for obs_id, spec in endei_mapping.observables.items():
        assert obs_id in iiep.observable_by_id
        assert spec.note and len(spec.note) > 40, f"{obs_id}: every mapping explains itself"
        assert spec.fidelity in ("direct", "proxy"), obs_id


def test_endei_each_question_informs_one_observable(endei_mapping) -> None:
    seen: dict[str, str] = {}
    for obs_id, spec in endei_mapping.observables.items():
        for col in spec.columns:
            assert col not in seen, f"{col} feeds both {seen[col]} and {obs_id}"
            seen[col] = obs_id
    exports = {"p.1.14", *(f"p.1.12.{k}" for k in range(1, 9))}
    assert not exports & set(seen), "export results are outcomes, never capabilities"


def test_endei_coverage_explains_every_gap(endei_mapping, iiep) -> None:
    cov = coverage(endei_mapping, iiep)
    assert len(cov) == len(iiep.activities)
    uncovered = cov[cov["covered"] == 0]
    assert set(uncovered["activity"]) == set(endei_mapping.not_covered_activities)
    assert set(uncovered["activity"]) == {"net_distribution_partners", "watch_market_selection", "skills_languages",
                                          "strat_marketing_mix", "strat_commitment", "exp_finance_risk"}
    assert (uncovered["reason"].str.len() > 40).all()
    per_obs = coverage(endei_mapping, iiep, level="observable")
    assert len(per_obs) == len(iiep.observables) and per_obs["covered"].sum() == len(endei_mapping.observables)
    assert (per_obs["note"].str.len() > 10).all(), "every question, covered or not, says why"
    assert cov["covered"].sum() == len(endei_mapping.observables)


@pytest.fixture(scope="module")
def endei_population(endei_survey, endei_mapping, iiep) -> pd.DataFrame:
    return apply_mapping(endei_survey, endei_mapping, iiep)


@needs_endei
def test_endei_population(endei_population: pd.DataFrame, endei_mapping) -> None:
    pop = endei_population
    assert len(pop) == 3944 and pop["firm_id"].is_unique
    for col in ("iip", "iep", "iiep"):
        values = pop[col].to_numpy(dtype=float)
        assert np.all((values >= 0) & (values <= 1)), col
    obs = pop[[c for c in pop.columns if c.startswith("obs.")]].to_numpy(dtype=float)
    assert np.nanmin(obs) >= 0 and np.nanmax(obs) <= 1
    mapped = [f"obs.{o}" for o in endei_mapping.observables]
    assert pop[mapped].notna().any().all(), "every mapped question is answered by some firm"
    assert pop["weight"].sum() == pytest.approx(18_359)
    by_size = pop.groupby("size")["weight"].sum().to_dict()
    assert by_size == pytest.approx({"small": 10_538, "medium": 5_850, "large": 1_971})
    assert set(pop["country"]) == {"AR"}
    assert pop["export_share_band"].cat.ordered and pop["export_share_band"].isna().sum() == 5
    assert pop["exports"].isna().sum() == 5 and set(pop["exports"].dropna()) == {0.0, 1.0}
    assert (pop["innovates"] == 1).sum() == 2828


@needs_endei
def test_endei_wine_firms(endei_population: pd.DataFrame) -> None:
    wine = endei_population[endei_population["sector"] == WINE]
    assert len(wine) == 80 and wine["exports"].sum() == 59
    assert wine["iiep"].notna().all()


@needs_endei
def test_endei_with_the_wine_module(endei_survey, endei_mapping, endei_population) -> None:
    """The wine module's added questions are simply not observed; the base questions score as before."""
    wine_fw = load_framework("iiep", ["wine"])
    pop = apply_mapping(endei_survey, endei_mapping, wine_fw)
    assert pop.attrs["framework"] == wine_fw.label and len(pop) == 3944
    added = [f"obs.{o.id}" for o in wine_fw.observables if f"obs.{o.id}" not in endei_population.columns]
    assert added and pop[added].isna().all().all()
    mapped = [f"obs.{o}" for o in endei_mapping.observables]
    pd.testing.assert_frame_equal(pop[mapped], endei_population[mapped])


@needs_endei
def test_endei_exporters_score_higher_on_iep(endei_population: pd.DataFrame) -> None:
    """A sanity check of the mapping, not a finding: exporters' weighted mean IEP exceeds non-exporters'."""
    pop = endei_population.dropna(subset=["exports"])
    mean = pop.groupby("exports").apply(lambda g: np.average(g["iep"], weights=g["weight"]), include_groups=False)
    assert mean[1.0] > mean[0.0] + 0.1


def test_read_for_mapping_names_a_missing_file(endei_mapping, tmp_path: Path) -> None:
    with pytest.raises(SurveyError, match=r"absent\.rds: file not found"):
        read_for_mapping(tmp_path / "absent.rds", endei_mapping)
