"""Reliability by group and from long tables (issue 15): :mod:`innexport.population.groups`,
:func:`innexport.population.items.long_to_wide` and ``innexport population reliability --by/--groups/--long``.

What is checked: each group's figures are exactly the ungrouped analysis of its rows (on a small
synthetic table, on random groupings with hypothesis, and on the bfi data by gender); a long table
gives the same report as its wide form, whatever the order of its rows; the refusals name the
place (rows counted from 1 after the header, the respondent, the group) and exit with code 2;
the JSON has a ``groups`` list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import innexport.cli.population_reliability  # noqa: F401 - registers ``innexport population reliability``
from conftest import SHARED_DATA, requires_shared
from innexport.cli import app
from innexport.population.groups import GroupError, grouped_reliability, select_groups
from innexport.population.items import Missing, ReliabilityError, long_to_wide
from innexport.population.reliability import cronbach_alpha, item_statistics, reliability_report

BFI = SHARED_DATA / "psych-bfi" / "bfi.csv"
needs_bfi = requires_shared(BFI)
AGREE = ["A1", "A2", "A3", "A4", "A5"]

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["population", "reliability", *args])


def scale(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """n respondents, four items 1..5 driven by one trait; q3 negatively keyed."""
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=n)
    items = {f"q{j}": np.clip(np.rint(3 + shift + trait + rng.normal(scale=0.9, size=n)), 1, 5) for j in range(3)}
    items["q3"] = np.clip(np.rint(3 - trait + rng.normal(scale=0.9, size=n)), 1, 5)
    return pd.DataFrame(items)


# Three countries of different sizes, a row without country, and a weight column.
TABLE = pd.concat([scale(40, 1).assign(country="FR"), scale(30, 2, 0.5).assign(country="CL"),
                   scale(25, 3, -0.5).assign(country="AR")], ignore_index=True)
TABLE.loc[7, "country"] = None
TABLE["weight"] = np.linspace(0.5, 2.0, len(TABLE))
ITEMS = ["q0", "q1", "q2", "q3"]


def close(a: Any, b: Any) -> bool:
    """The same JSON-like structure, numbers equal to rounding (1e-9 relative)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12)
    return bool(a == b)


def same_report(grouped: dict[str, Any], alone: dict[str, Any]) -> None:
    """A group's entry holds the report of its subset, key for key."""
    assert grouped["error"] is None
    assert {k: v for k, v in grouped.items() if k not in ("group", "n_rows", "error")} == alone


# --------------------------------------------------------------------------------------------
# The groups
# --------------------------------------------------------------------------------------------


def test_select_groups_orders_counts_and_refuses() -> None:
    sel = select_groups(TABLE, "country")
    assert sel.labels == ("AR", "CL", "FR")  # sorted
    assert sel.sizes() == {"AR": 25, "CL": 30, "FR": 39} and sel.n_missing == 1 and sel.n_not_selected == 0
    sel = select_groups(TABLE, "country", ["FR", "AR"])
    assert sel.labels == ("FR", "AR") and sel.n_not_selected == 30
    assert np.array_equal(sel.masks[0], (TABLE["country"] == "FR").to_numpy())
    # A numeric column: numeric order (10 after 9), labels without ".0", matched as written.
    codes = pd.DataFrame({"g": [10.0, 9.0, np.nan, 2.0, 10.0]})
    sel = select_groups(codes, "g")
    assert sel.labels == ("2", "9", "10") and sel.sizes() == {"2": 1, "9": 1, "10": 2} and sel.n_missing == 1
    assert select_groups(codes, "g", ["10", 2]).labels == ("10", "2")
    with pytest.raises(GroupError, match=r"no row has g = 3, 11; the groups are 10, 2, 9"):
        select_groups(codes, "g", ["3", "11"])
    with pytest.raises(GroupError, match="no column 'size' to group by"):
        select_groups(codes, "size")


# --------------------------------------------------------------------------------------------
# Each group is the ungrouped analysis of its rows
# --------------------------------------------------------------------------------------------


def test_each_group_equals_the_analysis_of_its_subset() -> None:
    result = grouped_reliability(TABLE, ITEMS, "country", reverse=["q3"], weights="weight", n_factors=1)
    assert [g["group"] for g in result["groups"]] == ["AR", "CL", "FR"]
    assert [g["n_rows"] for g in result["groups"]] == [25, 30, 39]
    assert result["missing_group"] == 1 and result["not_selected"] == 0
    assert result["notes"] == ["1 row without a value of country left out"]
    # The reversal range is the whole table's (1..5 here), the same in every group.
    assert result["scale_range"] == [1.0, 5.0]
    for entry in result["groups"]:
        subset = TABLE[TABLE["country"] == entry["group"]]
        alone = reliability_report(subset, ITEMS, ["q3"], scale_range=(1, 5), weights="weight", n_factors=1)
        same_report(entry, alone)
        # and by the formulas of the single-scale functions, on the subset's own weights
        direct = cronbach_alpha(subset[ITEMS], ["q3"], (1, 5), weights=subset["weight"])
        assert entry["alpha"]["alpha"] == pytest.approx(direct.alpha, abs=1e-12)
        assert entry["alpha"]["mean"] == pytest.approx(direct.mean, abs=1e-12)
        table = item_statistics(subset[ITEMS], ["q3"], (1, 5), weights=subset["weight"])
        assert [entry["item_statistics"][i]["r_rest"] for i in ITEMS] == pytest.approx(table["r_rest"].tolist())
    # The groups differ (different samples): the test would notice a group given another's rows.
    alphas = [g["alpha"]["alpha"] for g in result["groups"]]
    assert len(set(alphas)) == 3


def test_the_reversal_range_is_shared_by_the_groups() -> None:
    # Group B answers only 2..5: alone, psych's rule (the observed range) reverses its c as 7 - x;
    # grouped, every group reverses with the whole table's 1..5, as 6 - x, so means compare.
    frame = pd.DataFrame({"a": [1, 2, 5, 4, 2, 3, 5, 4], "b": [1, 3, 5, 4, 2, 3, 5, 5], "c": [5, 4, 1, 2, 5, 4, 2, 3],
                          "g": ["A"] * 4 + ["B"] * 4}).astype({"a": float, "b": float, "c": float})
    b_rows = frame[frame.g == "B"]
    result = grouped_reliability(frame, ["a", "b", "c"], "g", reverse=["c"])
    assert result["scale_range"] == [1.0, 5.0]
    grouped_b = result["groups"][1]
    assert grouped_b["item_statistics"]["c"]["mean"] == pytest.approx(6 - b_rows["c"].mean())
    alone = reliability_report(b_rows, ["a", "b", "c"], ["c"])
    assert alone["item_statistics"]["c"]["mean"] == pytest.approx(7 - b_rows["c"].mean())
    assert grouped_b["alpha"]["alpha"] == pytest.approx(alone["alpha"]["alpha"], abs=1e-12)  # means move, not alpha
    same_report(grouped_b, reliability_report(b_rows, ["a", "b", "c"], ["c"], scale_range=(1, 5)))
    wide = grouped_reliability(frame, ["a", "b", "c"], "g", reverse=["c"], scale_range=(1, 7))
    assert wide["groups"][1]["item_statistics"]["c"]["mean"] == pytest.approx(8 - b_rows["c"].mean())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labels=st.lists(st.sampled_from(["x", "y", "z"]), min_size=60, max_size=60),
       missing=st.sampled_from(["listwise", "pairwise"]))
def test_any_grouping_gives_each_subsets_alpha(labels: list[str], missing: Missing) -> None:
    frame = scale(60, 11).assign(g=labels)
    frame.loc[[3, 17, 40], "q1"] = np.nan
    present = sorted(set(labels))
    try:
        result = grouped_reliability(frame, ITEMS, "g", reverse=["q3"], missing=missing)
    except ReliabilityError:
        # only when no group can be analysed: each subset alone is refused too
        for label in present:
            with pytest.raises(ReliabilityError):
                reliability_report(frame[frame.g == label], ITEMS, ["q3"], scale_range=(1, 5), missing=missing)
        return
    assert [g["group"] for g in result["groups"]] == present
    for entry in result["groups"]:
        subset = frame[frame.g == entry["group"]]
        assert entry["n_rows"] == len(subset)
        try:
            alone = reliability_report(subset, ITEMS, ["q3"], scale_range=(1, 5), missing=missing)
        except ReliabilityError as exc:
            assert entry["error"] == str(exc)
            continue
        same_report(entry, alone)


def test_a_too_small_or_constant_group_is_named_and_the_others_reported() -> None:
    frame = TABLE.copy()
    frame.loc[frame.index[:2], "country"] = "ES"                     # 2 rows: fewer than 3 cases
    frame.loc[frame["country"] == "AR", "q2"] = 3.0                  # AR: q2 constant
    result = grouped_reliability(frame, ITEMS, "country", ["FR", "ES", "AR", "CL"])
    errors = {g["group"]: g["error"] for g in result["groups"]}
    assert errors == {"FR": None, "ES": "at least 3 complete cases are needed, got 2",
                      "AR": "items without variance: q2", "CL": None}
    assert set(result["groups"][1]) == {"group", "n_rows", "error"}
    assert result["notes"][:2] == [
        "group ES of country (2 rows) has no figure: at least 3 complete cases are needed, got 2",
        "group AR of country (25 rows) has no figure: items without variance: q2"]
    # No group analysable: refused, each group named with its reason.
    with pytest.raises(ReliabilityError, match=r"no group of country can be analysed: group ES \(2 rows\): at least 3 "
                       r"complete cases are needed, got 2; group AR \(25 rows\): items without variance: q2"):
        grouped_reliability(frame, ITEMS, "country", ["ES", "AR"])


def test_an_efa_that_cannot_run_in_one_group_is_a_note_there() -> None:
    frame = TABLE.copy()
    cl = frame["country"] == "CL"
    frame.loc[cl, "q2"] = frame.loc[cl, "q0"] + frame.loc[cl, "q1"]  # singular in CL: no ML factoring
    result = grouped_reliability(frame, ITEMS, "country", n_factors=1, method="ml")
    by_group = {g["group"]: g for g in result["groups"]}
    assert by_group["CL"]["efa"] is None and "efa" in by_group["CL"]["undefined"]
    assert by_group["CL"]["alpha"]["alpha"] > 0  # alpha still given
    assert any("factor analysis cannot be run" in n and "positive definite" in n for n in by_group["CL"]["notes"])
    assert by_group["FR"]["efa"]["n_factors"] == 1
    with pytest.raises(ReliabilityError, match="positive definite"):  # ungrouped: a refusal, as before
        reliability_report(frame[cl], ITEMS, n_factors=1, method="ml")


# --------------------------------------------------------------------------------------------
# bfi by gender (psych package)
# --------------------------------------------------------------------------------------------


@needs_bfi
@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_bfi_agreeableness_by_gender(missing: Missing) -> None:
    bfi = pd.read_csv(BFI, index_col=0)
    result = grouped_reliability(bfi, AGREE, "gender", reverse=["A1"], missing=missing)
    males, females = result["groups"]
    assert (males["group"], females["group"]) == ("1", "2")  # psych: Males = 1, Females = 2
    assert (males["n_rows"], females["n_rows"]) == (919, 1881) and result["missing_group"] == 0
    for entry in result["groups"]:
        same_report(entry, reliability_report(bfi[bfi.gender == int(entry["group"])], AGREE, ["A1"], missing=missing,
                                              scale_range=(1, 6)))
    # No published by-gender values were found; these are ours, computed as psych::alpha does
    # (pairwise: alpha(bfi[bfi$gender == 1, 1:5], keys = "A1")), to two decimals; the whole sample
    # (0.70, published) lies between the two.
    assert round(males["alpha"]["alpha"], 2) == 0.71 and round(females["alpha"]["alpha"], 2) == 0.68
    assert males["alpha"]["alpha"] > 0.70 > females["alpha"]["alpha"]
    # Women score higher on agreeableness (bfi's own documentation and many studies): 4.78 vs 4.39.
    assert females["alpha"]["mean"] - males["alpha"]["mean"] == pytest.approx(0.39, abs=0.01)


@needs_bfi
def test_cli_bfi_by_gender_json_and_table() -> None:
    res = invoke(str(BFI), "--items", ",".join(AGREE), "--reverse", "A1", "--by", "gender", "--missing", "pairwise",
                 "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert [(g["group"], g["n_rows"]) for g in report["groups"]] == [("1", 919), ("2", 1881)]
    assert [round(g["alpha"]["alpha"], 2) for g in report["groups"]] == [0.71, 0.68]
    res = invoke(str(BFI), "--items", ",".join(AGREE), "--reverse", "A1", "--by", "education", "--groups", "5,1")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "by education" in out and "alpha [95% CI]" in out and "5 r rest" in out and "1 α drop" in out
    assert out.index("5 r rest") < out.index("1 r rest")  # the order asked for
    # education: 224 (1), 292 (2), 1249 (3), 394 (4), 418 (5), 223 blank; 2, 3 and 4 not asked for
    assert "223 rows without a value of education left out" in " ".join(res.stderr.split())
    assert f"Left out: 223 rows without a value of education; {292 + 1249 + 394} rows in other groups" in " ".join(
        out.split())
    assert "│ rows │ 418 │ 224 │" in " ".join(out.split())


# --------------------------------------------------------------------------------------------
# Long format
# --------------------------------------------------------------------------------------------


def to_long(wide: pd.DataFrame, items: list[str], keep: list[str], seed: int = 0) -> pd.DataFrame:
    """The long form of a wide table (id = row label + 100), unanswered items left out, rows shuffled."""
    long = wide.assign(rid=wide.index + 100).melt(id_vars=["rid", *keep], value_vars=items, var_name="item",
                                                  value_name="answer")
    long = long[long["answer"].notna()]
    return long.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_long_equals_wide() -> None:
    long = to_long(TABLE, ITEMS, ["country", "weight"], seed=3)
    wide = long_to_wide(long, "rid", "item", "answer", keep=["country", "weight"])
    assert wide.n_rows == len(long) and wide.n_respondents == len(TABLE)
    assert sorted(wide.items) == ITEMS
    back = wide.frame.sort_index()
    assert back[ITEMS].to_numpy() == pytest.approx(TABLE[ITEMS].to_numpy(), nan_ok=True)
    assert back["country"].tolist() == TABLE["country"].tolist()
    from_long = grouped_reliability(wide.frame.sort_index(), ITEMS, "country", reverse=["q3"], weights="weight",
                                    n_factors=1)
    assert from_long == grouped_reliability(TABLE, ITEMS, "country", reverse=["q3"], weights="weight", n_factors=1)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), holes=st.sets(st.integers(0, 94), max_size=15))
def test_long_order_and_missing_answers_do_not_matter(seed: int, holes: set[int]) -> None:
    frame = TABLE.copy()
    frame.loc[sorted(holes), "q1"] = np.nan
    long = to_long(frame, ITEMS, ["country"], seed=seed)
    wide = long_to_wide(long, "rid", "item", "answer", keep=["country"]).frame
    expected = reliability_report(frame, ITEMS, ["q3"], missing="pairwise")
    # back in the wide table's row order, the very same numbers (no rounding difference either)
    assert reliability_report(wide.sort_index(), ITEMS, ["q3"], missing="pairwise") == expected
    # in the long table's order, the same to rounding
    assert close(reliability_report(wide, ITEMS, ["q3"], missing="pairwise"), expected)


def write_long(tmp_path: Path, long: pd.DataFrame, name: str = "long.csv") -> Path:
    path = tmp_path / name
    long.to_csv(path, index=False)
    return path


def test_cli_long_equals_wide(tmp_path: Path) -> None:
    wide_path = tmp_path / "wide.csv"
    TABLE.to_csv(wide_path, index=False)
    long_path = write_long(tmp_path, to_long(TABLE, ITEMS, ["country", "weight"]))
    common = ["--reverse", "q3", "--weight", "weight", "--json"]
    for by in ([], ["--by", "country", "--groups", "FR,AR"]):
        wide = invoke(str(wide_path), "--items", ",".join(ITEMS), *by, *common)
        long = invoke(str(long_path), "--long", "rid,item,answer", "--items", ",".join(ITEMS), *by, *common)
        assert wide.exit_code == 0 and long.exit_code == 0, (wide.output, long.output)
        from_wide, from_long = json.loads(wide.stdout), json.loads(long.stdout)
        info = from_long.pop("long")
        assert info["rows"] == len(TABLE) * 4 and info["respondents"] == len(TABLE)
        assert (info["id"], info["item"], info["value"]) == ("rid", "item", "answer")
        assert sorted(info["items"]) == ITEMS
        if by:
            assert from_long.pop("unit") == "respondent" and from_wide.pop("unit") == "row"
            assert from_long.pop("notes") == ["1 respondent without a value of country left out"]
            assert from_wide.pop("notes") == ["1 row without a value of country left out"]
        assert close(from_long, from_wide)  # the respondents come in another order: equal to rounding
    # Without --items: every item of the long table, in order of first appearance.
    res = invoke(str(long_path), "--long", "rid,item,answer", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["items"] == report["long"]["items"] and sorted(report["items"]) == ITEMS
    # --items selects among the item names, in the order given.
    res = invoke(str(long_path), "--long", "rid,item,answer", "--items", "q2,q0,q1", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["items"] == ["q2", "q0", "q1"]
    res = invoke(str(long_path), "--long", "rid,item,answer", "--items", "q0,q9")
    assert res.exit_code == 2 and "unknown items: q9" in res.stderr


LONG = pd.DataFrame({
    "rid": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4],
    "item": ["a", "b", "c"] * 4,
    "v": [1, 2, 2, 3, 3, 4, 5, 4, 5, 2, 2, 1],
    "g": ["x", "x", "x", "y", "y", "y", "x", "x", "x", "y", "y", "y"],
})


def test_long_refusals_name_the_rows_and_the_respondent(tmp_path: Path) -> None:
    twice = LONG.copy()
    twice.loc[7, "item"] = "a"                                      # respondent 3 answers a on rows 7 and 8
    with pytest.raises(ReliabilityError, match=r"^respondent 3 answers item a more than once: rows 7, 8$"):
        long_to_wide(twice, "rid", "item", "v")
    path = write_long(tmp_path, twice)
    res = invoke(str(path), "--long", "rid,item,v")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"{path}: respondent 3 answers item a more than once: rows 7, 8" in " ".join(res.stderr.split())

    moved = LONG.copy()
    moved.loc[5, "g"] = "x"                                         # respondent 2: y on row 4, x on row 6
    path = write_long(tmp_path, moved, "moved.csv")
    res = invoke(str(path), "--long", "rid,item,v", "--by", "g")
    assert res.exit_code == 2
    assert ("'g' must be the same on every row of a respondent: respondent 2 has y on row 4 and x on row 6"
            in " ".join(res.stderr.split()))
    res = invoke(str(path), "--long", "rid,item,v")                 # without --by the group column is not read
    assert res.exit_code == 0, res.output

    blank = LONG.astype({"rid": float}).copy()
    blank.loc[[2, 10], "rid"] = np.nan
    with pytest.raises(ReliabilityError, match=r"^no respondent id \(rid\) on rows 3, 11$"):
        long_to_wide(blank, "rid", "item", "v")
    text = LONG.astype({"v": object}).copy()
    text.loc[4, "v"] = "often"
    with pytest.raises(ReliabilityError, match=r"^the values \(v\) must be numbers: 'often' on row 5$"):
        long_to_wide(text, "rid", "item", "v")
    with pytest.raises(ReliabilityError, match="no column 'value' in the long table"):
        long_to_wide(LONG, "rid", "item", "value")
    with pytest.raises(ReliabilityError, match="three different columns"):
        long_to_wide(LONG, "rid", "item", "item")
    path = write_long(tmp_path, LONG, "ok.csv")
    res = invoke(str(path), "--long", "rid,item")
    assert res.exit_code == 2 and "ID,ITEM,VALUE" in res.output


def test_long_missing_group_and_id_labels() -> None:
    long = LONG.astype({"rid": float, "g": object})
    long.loc[long["rid"] == 4, "g"] = None                          # respondent 4 has no group: counted once
    wide = long_to_wide(long, "rid", "item", "v", keep=["g"])
    assert wide.frame.index.tolist() == [1.0, 2.0, 3.0, 4.0] and wide.frame.index.name == "rid"
    assert wide.frame["g"].isna().tolist() == [False, False, False, True]
    assert select_groups(wide.frame, "g").n_missing == 1


# --------------------------------------------------------------------------------------------
# Command line: refusals and JSON shape
# --------------------------------------------------------------------------------------------


@pytest.fixture
def table_csv(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    frame = TABLE.copy()
    frame.loc[frame.index[:2], "country"] = "ES"
    frame.to_csv(path, index=False)
    return path


def test_cli_json_shape(table_csv: Path) -> None:
    res = invoke(str(table_csv), "--items", ",".join(ITEMS), "--reverse", "q3", "--by", "country", "--groups",
                 "FR,ES,CL", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert set(report) == {"by", "items", "reversed", "scale_range", "groups", "missing_group", "not_selected",
                           "unit", "notes"}
    assert (report["by"], report["reversed"], report["missing_group"], report["not_selected"]) == ("country", ["q3"], 1, 25)
    fr, es, cl = report["groups"]
    assert (fr["group"], es["group"], cl["group"]) == ("FR", "ES", "CL")
    assert set(fr) >= {"group", "n_rows", "error", "alpha", "item_statistics", "kmo", "bartlett", "efa", "notes"}
    assert fr["alpha"]["ci"]["method"] == "Feldt" and set(fr["item_statistics"]) == set(ITEMS)
    assert es == {"group": "ES", "n_rows": 2, "error": "at least 3 complete cases are needed, got 2"}
    assert "note: group ES of country (2 rows) has no figure" in " ".join(res.stderr.split())


def test_cli_table_marks_a_group_without_figure(table_csv: Path) -> None:
    res = invoke(str(table_csv), "--items", ",".join(ITEMS), "--by", "country", "--groups", "ES,FR")
    assert res.exit_code == 0, res.output
    out = " ".join(res.stdout.split())
    assert "country ES: no figure (at least 3 complete cases are needed, got 2)" in out
    assert "FR r rest" in out and "ES r rest" not in out


def test_cli_group_refusals_exit_2(table_csv: Path) -> None:
    items = ",".join(ITEMS)
    cases = [
        (["--by", "country", "--groups", "ES"],
         (f"{table_csv}: no group of country can be analysed: group ES (2 rows): at least 3 complete cases are "
          "needed, got 2")),
        (["--by", "country", "--groups", "FR,IT"], f"{table_csv}: no row has country = IT; the groups are AR, CL, ES, FR"),
        (["--by", "size"], f"{table_csv}: no column 'size' to group by"),
        (["--groups", "FR"], "--groups needs --by"),
    ]
    for extra, message in cases:
        res = invoke(str(table_csv), "--items", items, *extra)
        assert res.exit_code == 2, (extra, res.output)
        assert "Traceback" not in res.output
        assert message in " ".join(res.stderr.split()), (extra, res.stderr)
    res = invoke(str(table_csv))
    assert res.exit_code == 2 and "--items is needed" in res.stderr


def test_many_groups_without_figure_keep_the_messages_short() -> None:
    # Grouping by a code of 50 values, two rows each: no group has the 3 cases needed.
    frame = scale(100, 5).assign(code=np.arange(100) // 2)
    with pytest.raises(ReliabilityError) as refused:
        grouped_reliability(frame, ITEMS, "code")
    message = str(refused.value)
    assert message.count("(2 rows)") == 12 and message.endswith("(and 38 more groups without figure)")
    frame.loc[:29, "code"] = 0                                      # one group of 30 rows, 35 groups of 2
    result = grouped_reliability(frame, ITEMS, "code")
    assert len(result["groups"]) == 36 and [g["group"] for g in result["groups"] if g["error"] is None] == ["0"]
    assert len(result["notes"]) == 13 and result["notes"][-1] == "And 23 more groups without figure: see their entries"
