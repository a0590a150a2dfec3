"""The comparative study (``innexport population study``): its sections, its stamp, its refusals.

The figures of each section come from modules tested on their own against published values
(reliability, invariance, compare, synergy); here: that the study picks the right groups and
firms, that its own figures (effective sizes, class shares, hashes) are right by hand, that it
says why a section is missing, and the end-to-end runs the issue asks for — ENDEI II by firm size
and the World Management Survey by country, from the command line.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ENDEI, WMS, requires_shared
from innexport.cli import _register, app
from innexport.files.frameworks import load_framework
from innexport.population.study import (
    MIN_STUDY_GROUP,
    StudyError,
    choose_groups,
    class_shares,
    combine,
    file_sha256,
    samples,
    study,
)

_register()
runner = CliRunner()


def _table(groups: dict[str, int], seed: int = 3) -> pd.DataFrame:
    """A scored population of the given group sizes (iiep, random answers)."""
    from innexport.core.scoring import ScoringModel
    from innexport.population.frame import score_population

    fw = load_framework("iiep")
    model = ScoringModel.from_framework(fw)
    n = sum(groups.values())
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    values = np.clip(0.5 + 0.25 * latent + 0.2 * rng.normal(size=(n, len(model.observable_ids))), 0, 1).round(1)
    meta = pd.DataFrame({"firm_id": [f"f{i}" for i in range(n)],
                         "country": [g for g, k in groups.items() for _ in range(k)]})
    weights = rng.uniform(0.5, 3.0, n)
    return score_population(fw, values, meta, weights)


def test_groups_are_the_large_ones_largest_first_and_the_rest_is_said() -> None:
    frame = pd.DataFrame({"c": ["a"] * 31 + ["b"] * 45 + ["c"] * 29 + [None] * 3})
    assert choose_groups(frame, "c") == (["b", "a"], [{"group": "c", "firms": 29, "why": "small"}], 3)
    assert choose_groups(frame, "c", ["a", "b"])[0] == ["a", "b"]
    with pytest.raises(StudyError, match=r"c \(29 firms\).*fewer than 30"):
        choose_groups(frame, "c", ["a", "c"])
    with pytest.raises(StudyError, match="no firm in group"):
        choose_groups(frame, "c", ["zz"])
    with pytest.raises(StudyError, match="fewer than two groups"):
        choose_groups(frame.assign(c=["a"] * 108), "c")
    with pytest.raises(StudyError, match="no column 'nope'"):
        choose_groups(frame, "nope")


def test_samples_by_hand() -> None:
    frame = pd.DataFrame({"g": ["x", "x", "x", "y"], "weight": [1.0, 2.0, 3.0, 6.0]})
    x, y = samples(frame, "g", ["x", "y"])
    assert x == {"group": "x", "firms": 3, "weighted": 6.0, "n_eff": pytest.approx(36 / 14), "weight_share": 0.5}
    assert y["n_eff"] == pytest.approx(1.0) and y["weight_share"] == 0.5


def test_class_shares_are_weighted_shares_by_hand() -> None:
    frame = pd.DataFrame({"g": ["x", "x", "x"], "weight": [1.0, 1.0, 2.0], "class.iip": ["A", "B", "B"]})
    assert class_shares(frame, "g", ["x"], ["A", "B", "C"]) == {"iip": [{"group": "x", "A": 0.25, "B": 0.75, "C": 0.0}]}


def test_file_hash_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_bytes(b"firm_id\n1\n")
    assert file_sha256(path) == "sha256:" + hashlib.sha256(b"firm_id\n1\n").hexdigest()
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "part-0.parquet").write_bytes(b"a")
    before = file_sha256(folder)
    (folder / "part-1.parquet").write_bytes(b"b")
    assert file_sha256(folder) != before


def test_tables_of_different_frameworks_are_not_combined() -> None:
    a, b = _table({"x": 3}), _table({"y": 3})
    b.attrs["content_hash"] = "sha256:other"
    with pytest.raises(StudyError, match="different frameworks"):
        combine([a, b], ["fr", "cl"])


def test_study_sections_on_a_synthetic_population() -> None:
    frame = _table({"FR": 60, "CL": 45, "AR": 12})
    result = study(frame, "country")
    data = result.to_dict()
    assert result.groups == ["FR", "CL"] and result.reference == "FR"
    assert data["left_out"] == [{"group": "AR", "firms": 12, "why": "small"}]
    assert [s["firms"] for s in data["samples"]] == [60, 45]
    assert {r["group"] for r in data["reliability"]} == {"FR", "CL"}
    assert all(0 < r["alpha"] < 1 for r in data["reliability"])
    first = data["means"][0]
    assert first["column"] == "iip" and first["group"] == "FR" and first["diff"] is None
    fr = frame.loc[frame.country == "FR"]
    assert first["mean"] == pytest.approx(np.average(fr["iip"], weights=fr["weight"]))
    assert set(result.maps) == {"FR", "CL"}
    for rows in data["classes"].values():
        for row in rows:
            assert sum(v for k, v in row.items() if k != "group") == pytest.approx(1.0)
    assert {"code": "no_synergy_outcomes"} in data["notes"]
    assert data["stamp"]["framework"] == frame.attrs["framework"]
    json.dumps(data, allow_nan=False)  # plain JSON: NaN written as null


def test_reference_must_be_compared() -> None:
    with pytest.raises(StudyError, match="reference group 'AR'"):
        study(_table({"FR": 40, "CL": 40, "AR": 5}), "country", reference="AR")


def _pop(tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    path = tmp_path / f"{name}.parquet"
    frame.to_parquet(path)
    return path


def test_cli_several_tables_compared_by_source_in_french(tmp_path: Path) -> None:
    fr = _pop(tmp_path, "france", _table({"FR": 40}, seed=1))
    cl = _pop(tmp_path, "chile", _table({"CL": 35}, seed=2))
    out = tmp_path / "study.html"
    res = runner.invoke(app, ["population", "study", str(fr), str(cl), "--lang", "fr", "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "Échantillons et pondérations" in html
    assert "Samples and weights" not in html and "Reliability" not in html  # one language per document
    assert file_sha256(fr) in html and file_sha256(cl) in html
    res = runner.invoke(app, ["population", "study", str(fr), str(cl), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["by"] == "source" and data["groups"] == ["france", "chile"]


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "nope"], "no column 'nope'"),
    (["--by", "country", "--groups", "FR,XX"], "no firm in group(s) XX"),
    (["--by", "country", "--reference", "XX"], "reference group 'XX'"),
    (["--by", "country", "--innovation", "nope"], "--innovation nope"),
    (["--by", "country", "-o", "study.docx"], "an .html or .pdf file"),
    (["--by", "country"], "give --out"),
])
def test_cli_refusals_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    pop = _pop(tmp_path, "pop", _table({"FR": 40, "CL": 40}))
    extra = [] if "-o" in args or args == ["--by", "country"] else ["--json"]
    res = runner.invoke(app, ["population", "study", str(pop), *args, *extra])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output


def test_cli_refuses_a_missing_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["population", "study", str(tmp_path / "none.parquet"), "--by", "x", "--json"])
    assert res.exit_code == 2 and "none.parquet" in res.output


def _import(tmp_path: Path, survey: Path, mapping: str) -> Path:
    out = tmp_path / f"{mapping}.parquet"
    res = runner.invoke(app, ["population", "import", str(survey), "--mapping", mapping, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


@requires_shared(ENDEI)
def test_endei_by_firm_size_end_to_end(tmp_path: Path) -> None:
    pop = _import(tmp_path, ENDEI, "endei2")
    out = tmp_path / "endei-study.html"
    res = runner.invoke(app, ["population", "study", str(pop), "--by", "size", "--groups", "small,medium,large",
                              "--innovation", "innovates", "--export", "exports", "--lang", "es", "-o", str(out),
                              "--strata", "stratum", "--lonely-psu", "certainty", "--capabilities",
                              "dim.networks,dim.watch,dim.skills,dim.culture,dim.knowledge,dim.export_operations",
                              "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [s["firms"] for s in data["samples"]] == [1643, 1471, 830]  # ENDEI II's 3,944 firms by size
    assert data["stamp"]["mappings"][0]["id"] == "endei2"
    assert len({r["scale"] for r in data["reliability"]}) >= 8
    assert data["design"]["strata_count"] == 381  # ENDEI II's strata: the means' intervals are design-based
    from innexport.population.compare import compare_groups
    from innexport.population.design import SurveyDesign

    frame = pd.read_parquet(pop)
    expected = compare_groups(frame, "size", ["iip"], reference="small", groups=["small", "medium", "large"],
                              design=SurveyDesign.from_frame(frame, strata="stratum", lonely_psu="certainty"))
    got = [m for m in data["means"] if m["column"] == "iip"]
    assert [m["se"] for m in got] == pytest.approx(expected["se"].tolist())
    # the synergy model is the synergy module's on the compared firms, the groups as context
    from innexport.population.synergy import synergy

    caps = ["dim.networks", "dim.watch", "dim.skills", "dim.culture", "dim.knowledge", "dim.export_operations"]
    alone = synergy(frame, "innovates", "exports", caps, by="size")
    assert data["synergy"]["rho"]["estimate"] == pytest.approx(alone.rho)
    assert data["synergy"]["by"] == "size" and data["invariance"]["levels"][0]["level"] == "configural"
    html = out.read_text(encoding="utf-8")
    assert "Sinergia" in html and "ρ = " in html
    assert "Diseño muestral" in html and "Muestras y ponderaciones" in html and "Sinergia entre innovación y exportación" in html


@requires_shared(WMS)
def test_wms_by_country_end_to_end_pdf(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    pop = _import(tmp_path, WMS, "wms")
    out = tmp_path / "wms-study.pdf"
    res = runner.invoke(app, ["population", "study", str(pop), "--by", "country", "--groups", "FR,CL,AR",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:5] == b"%PDF-"
    res = runner.invoke(app, ["population", "study", str(pop), "--by", "country", "--json"])
    data = json.loads(res.stdout)
    assert len(data["groups"]) == 12 and all(s["firms"] >= MIN_STUDY_GROUP for s in data["samples"])
    # WMS informs one activity per dimension: one factor over the informed activities
    assert list(data["invariance"]["factors"]) == ["capabilities"]
    assert data["invariance"]["reached"] in ("scalar", "partial_scalar", "metric", "partial_metric", "configural")
    assert sum(s["firms"] for s in data["samples"]) + sum(g["firms"] for g in data["left_out"]) == 11702


# --------------------------------------------------------------------------------------------
# population collect: a study's own answer files as a population table
# --------------------------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_collect_scores_like_diagnose_and_consolidates_a_team(tmp_path: Path) -> None:
    out = tmp_path / "wine.parquet"
    files = sorted(EXAMPLES.glob("*.yaml")) + sorted((EXAMPLES / "team").glob("*.yaml"))
    res = runner.invoke(app, ["population", "collect", *map(str, files), "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out)
    assert sorted(table["firm_id"]) == ["ar-bodega-los-aromos", "cl-vina-cerro-alto", "fr-domaine-des-trois-collines",
                                        "fr-maison-lacoste"]  # the team's three sheets are one firm
    diagnosed = runner.invoke(app, ["diagnose", str(EXAMPLES / "cl-vina-cerro-alto.yaml"), "--draws", "0",
                                    "--no-sensitivity", "-o", str(tmp_path / "cl.json")])
    assert diagnosed.exit_code == 0, diagnosed.output
    result = json.loads((tmp_path / "cl.json").read_text(encoding="utf-8"))["firms"][0]
    row = table.set_index("firm_id").loc["cl-vina-cerro-alto"]
    for index in ("iip", "iep", "iiep"):
        assert row[index] == pytest.approx(result["indices"][index]["value"], abs=5e-6)  # the JSON rounds to 6 places
    assert row["exports"] == 1.0 and row["country"] == "CL"


def test_collect_joins_weights_and_outcomes_and_refuses_a_missing_firm(tmp_path: Path) -> None:
    files = [str(EXAMPLES / f"{n}.yaml") for n in ("ar-bodega-los-aromos", "cl-vina-cerro-alto")]
    join = tmp_path / "design.csv"
    join.write_text("firm_id,weight,stratum,innovates\ncl-vina-cerro-alto,12.5,2,1\nar-bodega-los-aromos,4,1,0\n",
                    encoding="utf-8")
    out = tmp_path / "pop.csv"
    res = runner.invoke(app, ["population", "collect", *files, "--join", str(join), "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out).set_index("firm_id")
    assert table.loc["cl-vina-cerro-alto", "weight"] == 12.5 and table.loc["ar-bodega-los-aromos", "innovates"] == 0
    join.write_text("firm_id,weight\ncl-vina-cerro-alto,12.5\n", encoding="utf-8")
    out.unlink()
    res = runner.invoke(app, ["population", "collect", *files, "--join", str(join), "-o", str(out)])
    assert res.exit_code == 2 and "no row for firm(s) ar-bodega-los-aromos" in res.output
    assert not out.exists()  # nothing half-written
    join.write_text("firm_id,weight\ncl-vina-cerro-alto,0\nar-bodega-los-aromos,1\n", encoding="utf-8")
    res = runner.invoke(app, ["population", "collect", *files, "--join", str(join), "-o", str(out)])
    assert res.exit_code == 2 and "weight of firm(s) cl-vina-cerro-alto is not a positive number" in res.output


def test_collect_refuses_bad_answers_naming_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "cl-vina-cerro-alto.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("answers:", "answers:\n  no_such_question: high", 1), encoding="utf-8")
    res = runner.invoke(app, ["population", "collect", str(bad), "-o", str(tmp_path / "p.parquet")])
    assert res.exit_code == 2 and "no_such_question" in res.output and "bad.yaml" in res.output
    assert "Traceback" not in res.output


def test_collect_reads_the_web_apps_exports(tmp_path: Path) -> None:
    """The long answers export and the assessments export (portfolio.flat's columns) give the same scores as the files."""
    from innexport.core.assessment import answer_codes
    from innexport.files.answers import read_answers
    from innexport.portfolio.flat import ANSWER_COLUMNS

    sheet = read_answers(EXAMPLES / "cl-vina-cerro-alto.yaml")[0]
    codes = answer_codes(load_framework("iiep", ["wine"]), sheet)  # the web app stores level codes
    question = next(iter(codes))
    rows = [dict.fromkeys(ANSWER_COLUMNS) | {"assessment_id": 7, "firm_id": "cl-1", "question_id": q, "answer": a}
            for q, a in codes.items()]
    rows.append(dict.fromkeys(ANSWER_COLUMNS) | {"assessment_id": 7, "firm_id": "cl-1", "respondent": 12,
                                                 "respondent_role": "export_manager", "question_id": question,
                                                 "answer": "dk"})
    pd.DataFrame(rows).to_csv(tmp_path / "answers.csv", index=False)
    pd.DataFrame([{"assessment_id": 7, "firm_id": "cl-1", "firm_name": "Viña", "country": "CL", "size_class": "small",
                   "export_share": 0.4, "framework_id": "iiep", "framework_modules": "wine"}]).to_csv(
        tmp_path / "assessments.csv", index=False)
    out = tmp_path / "web.parquet"
    res = runner.invoke(app, ["population", "collect", str(tmp_path / "answers.csv"), "--assessments",
                              str(tmp_path / "assessments.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    web = pd.read_parquet(out).iloc[0]
    files = runner.invoke(app, ["population", "collect", str(EXAMPLES / "cl-vina-cerro-alto.yaml"),
                                "-o", str(tmp_path / "files.parquet")])
    assert files.exit_code == 0, files.output
    direct = pd.read_parquet(tmp_path / "files.parquet").iloc[0]
    # the second respondent's "don't know" never hides the first one's answer: the same scores as the file
    assert web["iiep"] == pytest.approx(direct["iiep"]) and web["obs." + question] == direct["obs." + question]
    assert (web["country"], web["size"], web["exports"]) == ("CL", "small", 1.0)
    assert pd.read_parquet(out).attrs["framework"] == "iiep 1.1.0 + wine 1.1.0"
    twice = pd.DataFrame([*rows, dict(rows[0], assessment_id=8)])
    twice.to_csv(tmp_path / "answers.csv", index=False)
    res = runner.invoke(app, ["population", "collect", str(tmp_path / "answers.csv"), "-o", str(out)])
    assert res.exit_code == 2 and "cl-1 have several diagnostics" in " ".join(res.output.split())
