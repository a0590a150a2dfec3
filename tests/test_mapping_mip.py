"""The built-in ``mip2021`` mapping on the real Mannheim Innovation Panel 2021 extract.

``../shared/data/mip-2021/extmidp21.dta`` (5,083 German firms; never copied into the repository;
skipped with the path as reason when absent). The counts are the file's own (sizes from the
full-time equivalents ``bges``, regions, innovators, exporters); three firms' values are worked out
by hand from their raw answers, read here straight from the Stata file with pyreadstat (the answers
are shown in the comments); the scores must be sensible (exporters above non-exporters on IEP,
innovators above non-innovators on IIP, IIEP rising with size); and ``population import`` streams
the file in batches to the same table.

The extract's Stata file declares UTF-8 but holds Latin-1 labels: it is read through
``population.io.readstat_encoding``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import SHARED_DATA, need_shared
from innexport.cli import _register, app
from innexport.population import io
from innexport.population.mapping import apply_mapping, load_mapping, read_for_mapping

MIP = SHARED_DATA / "mip-2021" / "extmidp21.dta"

@pytest.fixture(scope="module")
def mip_population() -> pd.DataFrame:
    need_shared(MIP)
    return apply_mapping(read_for_mapping(MIP, "mip2021"), "mip2021")


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The raw answers (codes, not labels), read with pyreadstat directly: 0 nein / 1 ja and so on."""
    need_shared(MIP)
    import pyreadstat

    data, _ = pyreadstat.read_dta(str(MIP), encoding="latin1")
    return data.set_index("id")


def test_the_counts(mip_population: pd.DataFrame) -> None:
    pop = mip_population
    assert len(pop) == 5083 and pop["firm_id"].is_unique
    assert pop["weight"].eq(1).all(), "the public extract has no weight"
    assert set(pop["country"]) == {"DE"}
    assert pop["size"].value_counts().to_dict() == {"small": 1808, "micro": 1486, "medium": 1295, "large": 494}
    assert pop["region"].value_counts().to_dict() == {"west": 3326, "east": 1757}
    assert pop["sampling_size_class"].isna().sum() == 15
    assert pop["sector"].nunique() == 21 and pop["sector"].notna().all()
    assert (pop["sector"] == "Food, beverages, tobacco (NACE 10-12)").sum() == 219
    assert pop["sector_group"].value_counts()["research-intensive manufacturing"] == 798
    assert pop["innovates"].sum() == 3458 and pop["innovates"].notna().all()
    assert (pop["product_innovation"].sum(), pop["process_innovation"].sum()) == (1936, 2919)
    assert pop["exports"].sum() == 1865 and pop["exports"].isna().sum() == 539
    assert pop["exports_beyond_europe"].sum() == 1135
    for col in ("iip", "iep", "iiep"):
        values = pop[col].to_numpy(dtype=float)
        assert np.all((values >= 0) & (values <= 1)), col
    mapped = [f"obs.{o}" for o in load_mapping("mip2021").observables]
    assert pop[mapped].notna().any().all(), "every mapped question is answered by some firm"


def test_three_firms_by_hand(mip_population: pd.DataFrame, raw: pd.DataFrame) -> None:
    pop = mip_population.set_index("firm_id")
    # 300127: public innovation funding (oeff 1); no cooperation partner; customer-specific solutions
    # "hoch" (3), new products and new markets both "mittel" (2), quality "hoch"; continuous R&D
    # (fuekon 1); process innovations adapted from others' (pzentw3 1) and products developed with
    # others (pdentw2 1); R&D planned for 2021; projects abandoned (pa 1), ongoing (pn 1); no patent,
    # utility model, design or trademark, trade secrets (schutz6 1); design spending 0 both years; no
    # training figure (wbp19, wbp missing); 38.4 FTE; exports 19.7 %, 2 % of them outside Europe.
    r = raw.loc["300127"]
    assert (r["oeff"], r["wettstr10"], r["wettstr2"], r["wettstr8"], r["fuekon"], r["pzentw3"], r["pa"]) == \
        (1, 3, 2, 2, 1, 1, 1)
    assert np.isnan(r["wbp19"]) and np.isnan(r["wbp"]) and r["designs19"] == 0 and r["exsop"] == 2
    f = pop.loc["300127"]
    assert f["size"] == "small" and f["sector"] == "Electronics, electrical equipment (NACE 26-27)"
    expected = {"net_weak_ties_support_bodies": 1, "net_strong_ties_research": 0, "cust_involvement_adaptation": 1,
                "strat_global_linked": 2 / 3, "know_technology_rd": 1, "know_technology_absorption": 1,
                "skills_creativity_diversity": 1, "strat_global_written": 1, "strat_portfolio_arbitration": 1,
                "inn_ideas_follow_through": 1, "ip_protection_home": 0, "ip_protection_confidentiality": 1,
                "inn_development_prototypes": 0, "exp_production_capacity_quality": 1}
    assert {k: f[f"obs.{k}"] for k in expected} == pytest.approx(expected)
    assert np.isnan(f["obs.skills_management_training"])
    assert (f["exports"], f["exports_beyond_europe"], f["export_share"]) == (1, 1, pytest.approx(0.197143, abs=1e-6))

    # 301078: cooperates with associations at home and abroad (kod9, koa9), consultants (kod6, koa6),
    # a German university (kod7) and German suppliers (kod4), contracts R&D out (fueext); patents,
    # utility models and trademarks (three kinds → 1); customer-specific solutions "gering" (1); new
    # products "hoch" but new markets "nein" (min 0); 497.9 FTE; a market novelty (mneu 1).
    r = raw.loc["301078"]
    assert (r["kod9"], r["koa9"], r["kod6"], r["kod7"], r["kod4"], r["koa4"], r["fueext"]) == (1, 1, 1, 1, 1, 0, 1)
    assert (r["schutz1"], r["schutz2"], r["schutz3"], r["schutz4"], r["wettstr10"], r["wettstr2"], r["wettstr8"]) == \
        (1, 1, 0, 1, 1, 3, 0)
    f = pop.loc["301078"]
    expected = {"net_weak_ties_collective_events": 1, "net_weak_ties_service_providers": 1,
                "net_strong_ties_research": 1, "net_strong_ties_suppliers": 1, "net_strong_ties_firms": 0,
                "cust_involvement_design": 0, "cust_involvement_adaptation": 1 / 3, "ip_protection_home": 1,
                "strat_global_linked": 0, "skills_management_training": 1}
    assert {k: f[f"obs.{k}"] for k in expected} == pytest.approx(expected)
    assert (f["size"], f["new_to_market"], f["innovates"]) == ("large", 1, 1)

    # 302137: "Nichtinnovator" (filter 1) with no product innovation: who developed innovations was
    # not asked, so involving outsiders scores 0 (`otherwise`), and so does a market novelty; patents
    # and trademarks (two kinds → 0.75); 184.2 FTE.
    r = raw.loc["302137"]
    assert (r["filter"], r["pd"], r["schutz1"], r["schutz4"]) == (1, 0, 1, 1)
    assert np.isnan(r["pdentw2"]) and np.isnan(r["pzentw2"]) and np.isnan(r["mneu"])
    f = pop.loc["302137"]
    assert (f["obs.skills_creativity_diversity"], f["new_to_market"], f["innovates"]) == (0, 0, 0)
    assert (f["obs.ip_protection_home"], f["size"]) == (0.75, "medium")


def test_the_scores_are_sensible(mip_population: pd.DataFrame) -> None:
    """A sanity check of the mapping, not a finding (the sample is unweighted)."""
    pop = mip_population
    iep = pop.dropna(subset=["exports"]).groupby("exports")["iep"].mean()
    assert iep[1.0] > iep[0.0] + 0.1
    iip = pop.groupby("innovates")["iip"].mean()
    assert iip[1.0] > iip[0.0] + 0.2
    by_size = pop.groupby("size")["iiep"].mean()
    assert by_size["micro"] < by_size["small"] < by_size["medium"] < by_size["large"]
    assert 0.2 < pop["completeness"].mean() < 0.3


def test_the_import_command_streams_the_same_table(mip_population: pd.DataFrame, tmp_path: Path) -> None:
    _register()
    out = tmp_path / "mip.parquet"
    res = CliRunner().invoke(app, ["population", "import", str(MIP), "--mapping", "mip2021", "--out", str(out),
                                   "--batch-rows", "1000"])
    assert res.exit_code == 0, res.output
    assert "5,083 firms (5,083 weighted)" in " ".join(res.stdout.split())
    streamed = pd.read_parquet(out)
    columns = ["firm_id", "size", "sector", "innovates", "exports", "obs.ip_protection_home", "iip", "iep", "iiep"]
    pd.testing.assert_frame_equal(streamed[columns].reset_index(drop=True),
                                  mip_population[columns].reset_index(drop=True), check_dtype=False)


def test_a_stata_file_with_latin1_labels_is_read(tmp_path: Path) -> None:
    """The reader rule the extract needs: a Stata 118 file whose labels are Latin-1, not UTF-8."""
    import pyreadstat

    path = tmp_path / "latin1.dta"
    pyreadstat.write_dta(pd.DataFrame({"x": [1.0, 0.0]}), str(path), column_labels=["LaenderX"],
                         variable_value_labels={"x": {0.0: "nein", 1.0: "ja"}})
    path.write_bytes(path.read_bytes().replace(b"LaenderX", b"L\xe4nder\x00\x00"))  # the label in Latin-1
    with pytest.raises(UnicodeDecodeError):
        pyreadstat.read_dta(str(path))
    survey = io.read_survey(path)
    assert survey.variable_labels == {"x": "Länder"} and survey.data["x"].tolist() == ["ja", "nein"]
