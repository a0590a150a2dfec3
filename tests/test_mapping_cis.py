"""The built-in ``cis`` mapping (the Community Innovation Survey's harmonised variables) and the
mapping format's additions it needs: groups banded from a number (``bands``), ``only_when … otherwise``
(a survey's routing answered by a real 0) and the ``partial`` fidelity.

A four-firm CIS-like file is written in the test with the harmonised names; every observable, group
and outcome below is worked out by hand from its answers. Both new mappings (``cis`` and
``mip2021``) are checked for honesty as ``endei2`` is: a note and a fidelity for every observable,
each survey item feeding one observable, outcomes never scored as capabilities, every uncovered
activity explained. A CIS file without a variable the mapping reads is refused by name, in Python
and on the command line (exit 2).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.files.frameworks import load_framework
from innexport.population.io import Survey
from innexport.population.mapping import (
    MappingError,
    apply_mapping,
    builtin_mappings,
    coverage,
    load_mapping,
    parse_mapping,
    read_for_mapping,
)

NAN = np.nan
LOCATIONS = range(1, 6)


def _co(partner: int, **ticked: float) -> dict[str, float]:
    """The five location columns of one partner type, 0 unless ticked (``{"CO61": 1}``)."""
    return {f"CO{partner}{k}": ticked.get(f"CO{partner}{k}", 0.0) for k in LOCATIONS}


def _firm(**answers: object) -> dict[str, object]:
    row: dict[str, object] = {}
    for partner in (2, 3, 4, 6, 7):
        row.update(_co(partner))
    row.update(answers)
    return row


# A: innovative exporter within Europe, cooperates with a national university and a European supplier.
# B: innovation-active, did not cooperate (CO = 0, partner cells blank), exports beyond Europe.
# C: not innovation-active: the CIS routes it past sources, cooperation, activities and funding
#    (blank); it still answers the markets and intellectual-property questions.
# D: 50 persons employed (the first "medium"), cooperates with a public research institute abroad.
FIRMS = pd.DataFrame([
    _firm(ID="A", WEIGHT=3.5, COUNTRY="FR", NACE="11", EMPHI=25, CO=1, CO61=1, CO22=1,
          SINS=2, SCLI=3, SSUP=1, SJOU=3, SCOM=0, SCON=3, SPRO=0, RTR=1, RRDIN=1, RMAC=0, ROEK=0,
          INABA=0, INONG=1, PROPAT=1, PRODSG=0, PROTM=1, FUNLOC=0, FUNGMT=1, FUNEU=0,
          INPDGD=1, INPDSV=0, INPSPD=0, INPSLG=0, INPSSU=0, NEWMKT=1, TURNMAR=12, MAREUR=1, MAROTH=0),
    _firm(ID="B", WEIGHT=1.0, COUNTRY="ES", NACE="28", EMPHI=300, CO=0,
          SINS=0, SCLI=0, SSUP=0, SJOU=0, SCOM=0, SCON=0, SPRO=0, RTR=0, RRDIN=0, RMAC=1, ROEK=0,
          INABA=1, INONG=0, PROPAT=0, PRODSG=0, PROTM=0, FUNLOC=0, FUNGMT=0, FUNEU=0,
          INPDGD=0, INPDSV=0, INPSPD=1, INPSLG=0, INPSSU=0, NEWMKT=NAN, TURNMAR=NAN, MAREUR=0, MAROTH=1),
    _firm(ID="C", WEIGHT=2.0, COUNTRY="DE", NACE="46", EMPHI=9, CO=NAN,
          SINS=NAN, SCLI=NAN, SSUP=NAN, SJOU=NAN, SCOM=NAN, SCON=NAN, SPRO=NAN, RTR=NAN, RRDIN=NAN,
          RMAC=NAN, ROEK=NAN, INABA=0, INONG=0, PROPAT=0, PRODSG=0, PROTM=1, FUNLOC=NAN, FUNGMT=NAN,
          FUNEU=NAN, INPDGD=0, INPDSV=0, INPSPD=0, INPSLG=0, INPSSU=0, NEWMKT=NAN, TURNMAR=NAN,
          MAREUR=0, MAROTH=0),
    _firm(ID="D", WEIGHT=1.5, COUNTRY="FR", NACE="20", EMPHI=50, CO=1, CO75=1,
          SINS=3, SCLI=1, SSUP=NAN, SJOU=2, SCOM=2, SCON=NAN, SPRO=NAN, RTR=0, RRDIN=1, RMAC=0, ROEK=1,
          INABA=0, INONG=0, PROPAT=0, PRODSG=1, PROTM=0, FUNLOC=0, FUNGMT=0, FUNEU=1,
          INPDGD=0, INPDSV=1, INPSPD=0, INPSLG=1, INPSSU=0, NEWMKT=0, TURNMAR=0, MAREUR=1, MAROTH=1),
])
# blank partner cells for B and C (a firm that did not cooperate, or was not asked)
for _col in [c for c in FIRMS.columns if re.fullmatch(r"CO\d\d", c)]:
    FIRMS.loc[FIRMS["ID"].isin(["B", "C"]), _col] = NAN

# By hand, firm by firm (A, B, C, D): importance 0-3 is x / 3; any_of of 0/1 answers; sum_of bands
# for registered rights (none 0, one 0.5, two 0.75, three 1); `otherwise: 0` where CO = 0.
HAND = {
    "net_weak_ties_support_bodies": [1, 0, NAN, 1],            # FUNGMT (A), FUNEU (D); C not asked
    "net_weak_ties_service_providers": [2 / 3, 0, NAN, 1],     # SINS 2, 0, -, 3
    "net_strong_ties_research": [1, 0, NAN, 1],                # CO61 (A), CO = 0 (B), CO75 (D)
    "net_strong_ties_suppliers": [1, 0, NAN, 0],               # CO22 (A)
    "net_strong_ties_firms": [0, 0, NAN, 0],
    "cust_involvement_design": [0, 0, NAN, 0],
    "watch_information_markets": [1, 0, NAN, 1 / 3],           # SCLI 3, 0, -, 1
    "watch_information_technologies": [(1 / 3 + 1) / 2, 0, NAN, 2 / 3],  # SSUP 1 & SJOU 3; D: SJOU 2 only
    "watch_information_competitors": [0, 0, NAN, 2 / 3],
    "skills_management_training": [1, 0, NAN, 0],
    "skills_management_networking": [0.5, 0, NAN, NAN],        # SCON 3 & SPRO 0; D answered neither
    "know_technology_rd": [1, 0, NAN, 1],
    "know_technology_absorption": [0, 1, NAN, 1],              # RMAC (B), ROEK (D)
    "strat_portfolio_arbitration": [0, 1, 0, 0],               # INABA
    "ip_protection_home": [0.75, 0, 0.5, 0.5],                 # 2, 0, 1, 1 kinds of registered rights
    "inn_ideas_follow_through": [1, 0, 0, 0],                  # INONG
}


@pytest.fixture(scope="module")
def iiep():
    return load_framework("iiep")


@pytest.fixture(scope="module")
def cis(iiep):
    return load_mapping("cis", framework=iiep)


@pytest.fixture(scope="module")
def population(cis, iiep) -> pd.DataFrame:
    return apply_mapping(Survey(data=FIRMS.copy(), weight=None, source="cis.csv"), cis, iiep)


def test_the_cis_firms_by_hand(population: pd.DataFrame, cis) -> None:
    pop = population
    assert pop["firm_id"].tolist() == ["A", "B", "C", "D"]
    assert pop["weight"].tolist() == [3.5, 1.0, 2.0, 1.5]
    assert pop["country"].tolist() == ["FR", "ES", "DE", "FR"]
    assert pop["sector"].tolist() == ["11", "28", "46", "20"]
    assert pop["size"].tolist() == ["small", "large", "micro", "medium"]  # 25, 300, 9, 50 persons
    for obs_id, expected in HAND.items():
        np.testing.assert_allclose(pop[f"obs.{obs_id}"].to_numpy(dtype=float), expected, err_msg=obs_id)
    assert set(HAND) == set(cis.observables), "every mapped observable is checked by hand"
    # outcomes: innovation-active (any product/process innovation, ongoing or abandoned activity) …
    assert pop["innovates"].tolist() == [1, 1, 0, 1]
    assert pop["product_innovation"].tolist() == [1, 0, 0, 1]
    assert pop["process_innovation"].tolist() == [0, 1, 0, 1]
    assert pop["exports"].tolist() == [1, 1, 0, 1] and pop["exports_beyond_europe"].tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(pop["turnover_new_to_market"], [12, NAN, NAN, 0])


def test_a_firm_the_cis_routes_past_the_innovation_blocks(population: pd.DataFrame) -> None:
    """Firm C (not innovation-active) answered the intellectual-property and the ongoing/abandoned
    questions only: three of the 78 questions are observed, its activities are scored from them alone
    and its completeness says how little that is."""
    c = population.iloc[2]
    observed = [k for k in population.columns if k.startswith("obs.") and c[k] == c[k]]
    assert sorted(observed) == ["obs.inn_ideas_follow_through", "obs.ip_protection_home",
                                "obs.strat_portfolio_arbitration"]
    assert c["completeness"] == pytest.approx(3 / 78)
    assert c["act.ip_protection"] == pytest.approx(0.5)      # one of four questions answered: its own value
    assert c["act.strat_portfolio"] == pytest.approx(0.0) and c["act.inn_ideas"] == pytest.approx(0.0)


def test_both_new_mappings_are_built_in_and_honest(iiep) -> None:
    for name in ("cis", "mip2021"):
        assert name in builtin_mappings()
        mapping = load_mapping(name, framework=iiep)
        seen: dict[str, str] = {}
        for obs_id, spec in mapping.observables.items():
            assert spec.note and len(spec.note) > 40, f"{name} {obs_id}: every mapping explains itself"
            assert spec.fidelity in ("direct", "partial", "proxy"), f"{name} {obs_id}"
            for col in spec.columns:
                assert col not in seen, f"{name}: {col} feeds both {seen[col]} and {obs_id}"
                seen[col] = obs_id
        # results (exports, product and process innovations) are never capabilities; `innovates`
        # (innovation-active) also counts ongoing and abandoned activities, which are (as in endei2)
        results = {c for out, spec in mapping.outcomes.items() if out != "innovates" for c in spec.columns}
        assert not results & set(seen), f"{name}: outcomes are never capabilities"
        cov = coverage(mapping, iiep)
        uncovered = set(cov.loc[cov["covered"] == 0, "activity"])
        assert uncovered == set(mapping.not_covered_activities), name
        per_obs = coverage(mapping, iiep, level="observable")
        assert (per_obs["note"].str.len() > 10).all(), f"{name}: every question, covered or not, says why"
    cis = load_mapping("cis", framework=iiep)
    assert cis.weight == "WEIGHT" and cis.id_column == "ID"
    assert len(cis.observables) == 16 and (coverage(cis, iiep)["covered"] > 0).sum() == 9
    mip = load_mapping("mip2021", framework=iiep)
    assert mip.weight is None and mip.groups["country"].value == "DE"
    assert len(mip.observables) == 20 and (coverage(mip, iiep)["covered"] > 0).sum() == 12


def test_a_cis_file_without_a_variable_is_refused_by_name(cis, tmp_path: Path) -> None:
    path = tmp_path / "cis_fr.csv"
    FIRMS.drop(columns=["PRODSG"]).to_csv(path, index=False)
    with pytest.raises(MappingError) as err:
        apply_mapping(read_for_mapping(path, cis), cis)
    message = str(err.value)
    assert "unknown column 'PRODSG' in" in message and "cis_fr.csv" in message
    assert "observables → ip_protection_home" in message
    assert re.search(r"cis\.yaml:\d+:", message), "the mapping file and line are named"
    _register()
    res = CliRunner().invoke(app, ["population", "import", str(path), "--mapping", "cis",
                                   "--out", str(tmp_path / "p.parquet")])
    assert res.exit_code == 2 and "PRODSG" in res.stderr
    assert not (tmp_path / "p.parquet").exists()


def test_the_cis_import_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "cis.csv"
    FIRMS.to_csv(path, index=False)
    _register()
    out = tmp_path / "cis.parquet"
    res = CliRunner().invoke(app, ["population", "import", str(path), "--mapping", "cis", "--out", str(out),
                                   "--batch-rows", "3"])
    assert res.exit_code == 0, res.output
    assert "4 firms (8 weighted)" in " ".join(res.stdout.split())
    pop = pd.read_parquet(out)
    assert pop["size"].tolist() == ["small", "large", "micro", "medium"]
    np.testing.assert_allclose(pop["obs.net_strong_ties_research"], HAND["net_strong_ties_research"])


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("CO61", 2, r"any_of needs answers worth 0 or 1; column\(s\) CO61 .* row 1"),   # "no" coded 2
    ("SCLI", 4, r"column 'SCLI' .* outside the scale \[0, 3\] \(4…\) in row 1"),
    ("RTR", 2, r"skills_management_training: values must lie in \[0, 1\]; got 2"),
    ("EMPHI", "many", r"groups → size: column 'EMPHI' .* 'many' \(row 1\)"),
    ("EMPHI", -1, r"groups → size → bands: column 'EMPHI' .* below the first band \(0\) in row 1"),
])
def test_answers_the_cis_mapping_does_not_foresee(cis, column: str, value: object, expected: str) -> None:
    data = FIRMS.copy()
    data[column] = data[column].astype(object)
    data.loc[0, column] = value
    with pytest.raises(MappingError, match=expected):
        apply_mapping(Survey(data=data, weight=None, source="cis.csv"), cis)


# --- the format's additions ---------------------------------------------------------------------

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
HEAD = """\
kind: mapping
id: t
title: {fr: T, es: T, en: T}
survey: "A hand-made survey"
framework: {id: mini, version: "0.1"}
not_covered:
  - {activity: a_inn, reason: not asked here}
  - {activity: a_exp, reason: not asked here}
"""


def test_otherwise_answers_the_routing_and_leaves_the_unasked_unobserved() -> None:
    mini = load_framework(MINI)
    mapping = parse_mapping(HEAD + """\
groups:
  size: {column: emp, bands: [[0, micro], [10, small], [50, medium], [250, large]]}
observables:
  q1: {any_of: [c1, c2], only_when: {column: coop, in: [yes]}, otherwise: 0, fidelity: partial}
  q2: {column: c1, only_when: {column: coop, in: [yes]}}
""")
    data = pd.DataFrame({"coop": ["yes", "no", None, "yes"], "c1": [1, NAN, NAN, 0], "c2": [0, NAN, NAN, NAN],
                         "emp": [10, 9.5, 249.9, 1e6]})
    pop = apply_mapping(Survey(data=data, weight=None), mapping, mini)
    np.testing.assert_allclose(pop["obs.q1"], [1, 0, NAN, 0])   # no cooperation: 0; not asked: not observed
    np.testing.assert_allclose(pop["obs.q2"], [1, NAN, NAN, 0])  # without `otherwise`: not observed
    assert pop["size"].tolist() == ["small", "micro", "medium", "large"]
    assert mapping.observables["q1"].fidelity == "partial"


@pytest.mark.parametrize(("body", "expected"), [
    ("observables:\n  q1: {column: a, otherwise: 0}\n", "`otherwise` is a finite number given with `only_when`"),
    ("observables:\n  q1: {column: a, only_when: {column: b, in: [1]}, otherwise: 2}\n",
     r"values must lie in \[0, 1\]: otherwise → 2"),
    ("observables:\n  q1: {column: a, fidelity: exact}\n", "'direct', 'partial' or 'proxy'"),
    ("groups:\n  size: {value: x, bands: [[0, a]]}\nobservables:\n  q1: {column: a}\n", "`bands` needs a `column`"),
    ("groups:\n  size: {column: e, recode: {1: a}, bands: [[0, a]]}\nobservables:\n  q1: {column: a}\n",
     "give `recode` or `bands`, not both"),
    ("groups:\n  size: {column: e, bands: [[10, a], [0, b]]}\nobservables:\n  q1: {column: a}\n",
     r"band thresholds must be finite numbers in increasing order, got \[10.0, 0.0\]"),
])
def test_the_additions_are_checked(body: str, expected: str) -> None:
    with pytest.raises(MappingError, match=expected):
        parse_mapping(HEAD + body, "t.yaml")
