"""The portfolio of a support structure: hand-worked frames (innexport.portfolio.compute), the masking of
small groups (innexport.portfolio.disclosure), the shared outputs (innexport.rendering.portfolio), the
layering of these modules, and properties checked with hypothesis."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from innexport.core.framework import LANGUAGES
from innexport.files.frameworks import load_framework
from innexport.portfolio.compute import FRAME_COLUMNS, PortfolioError, portfolio, weakest_dimension
from innexport.portfolio.disclosure import mask, masked_flags
from innexport.rendering import i18n
from innexport.rendering.portfolio import Names, brief_html, brief_pdf, xlsx_bytes

PRO, PRE, RE, PAS = "proactive", "preactive", "reactive", "passive"
CLASSES = [PRO, PRE, RE, PAS]
FW = load_framework("iiep")
ROOT = Path(__file__).resolve().parents[1]


def klass(value: float) -> str:
    return PRO if value >= 0.61 else PRE if value >= 0.41 else RE if value >= 0.29 else PAS


def row(firm, day: str, value: float, *, iip: float | None = None, iep: float | None = None,
        cls: str | None = None, cls_iip: str | None = None, cls_iep: str | None = None, top=(), dims=None,
        sector: str = "s", region: str = "r", supported: bool = False, proposed=(), used=None,
        assessment: int | None = None, name: str | None = None) -> dict:
    iip = value if iip is None else iip
    iep = value if iep is None else iep
    out = {
        "firm": firm, "assessed_on": dt.date.fromisoformat(day), "iip": iip, "iep": iep, "iiep": value,
        "class_iip": cls_iip if cls_iip is not None else klass(iip), "class_iep": cls_iep if cls_iep is not None
        else klass(iep), "class_iiep": cls if cls is not None else klass(value),
        "top_activities": list(top) if top is not None else None,
        "dimension_scores": dims if dims is not None else {}, "sector": sector, "region": region, "size": "small",
        "advisor": 1, "supported": supported, "programmes_proposed": list(proposed), "programmes_used": used,
    }
    if assessment is not None:
        out["assessment"] = assessment
    if name is not None:
        out["name"] = name
    return out


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def firms_in(classes: list[str]) -> pd.DataFrame:
    """One diagnostic per firm, with these IIEP classes (the same on IIP and IEP)."""
    values = {PRO: 0.7, PRE: 0.5, RE: 0.35, PAS: 0.1}
    return frame([row(i, "2025-01-01", values[c]) for i, c in enumerate(classes)])


# --- the portfolio, hand-worked ---------------------------------------------------------------------------


def test_latest_diagnostic_is_the_last_date_then_the_largest_id() -> None:
    rows = [
        row("b", "2025-02-02", 0.10, assessment=4),
        row("a", "2025-03-01", 0.50, assessment=2),
        row("b", "2025-02-02", 0.70, assessment=9),
        row("a", "2025-01-10", 0.20, assessment=1),
        row("b", "2025-01-01", 0.30, assessment=12),  # a larger id, but an earlier date
    ]
    p = portfolio(frame(rows), FW)
    assert p.firms == 2 and p.assessments == 5
    assert p.points.loc["a", "iiep"] == 0.50 and p.points.loc["b", "iiep"] == 0.70
    assert p.points.loc["b", "class_iiep"] == PRO and p.points.loc["b", "assessed_on"] == pd.Timestamp("2025-02-02")
    # without ids, the later row of the same day wins
    no_ids = frame([{k: v for k, v in r.items() if k != "assessment"} for r in rows])
    assert portfolio(no_ids, FW).points.loc["b", "iiep"] == 0.70
    assert portfolio(no_ids.iloc[[0, 2, 1, 3, 4][::-1]], FW).points.loc["b", "iiep"] == 0.10


def test_class_counts_and_the_cross_table() -> None:
    rows = [
        row(1, "2025-01-01", 0.7, iip=0.7, iep=0.7),   # pro × pro
        row(2, "2025-01-01", 0.5, iip=0.7, iep=0.3),   # pro × reactive
        row(3, "2025-01-01", 0.5, iip=0.5, iep=0.1),   # pre × passive
        row(4, "2025-01-01", 0.3, iip=0.1, iep=0.5),   # passive × pre
        row(5, "2025-01-01", 0.3, iip=0.1, iep=0.5),   # passive × pre
        row(6, "2025-01-01", 0.3, iip=0.1, iep=0.5, cls=""),  # no IIEP class
        row(6, "2024-01-01", 0.9),  # an earlier diagnostic: not counted
    ]
    p = portfolio(frame(rows), FW)
    assert list(p.distribution.index) == [PRO, PRE, RE, PAS, ""]
    assert p.distribution["iip"].tolist() == [2, 1, 0, 3, 0]
    assert p.distribution["iep"].tolist() == [1, 3, 1, 1, 0]
    assert p.distribution["iiep"].tolist() == [1, 2, 2, 0, 1]
    assert p.cross.loc[PRO].tolist() == [1, 0, 1, 0, 0]
    assert p.cross.loc[PRE].tolist() == [0, 0, 0, 1, 0]
    assert p.cross.loc[PAS].tolist() == [0, 3, 0, 0, 0]
    assert int(p.cross.to_numpy().sum()) == 6
    # no class row when every diagnostic has one
    assert list(portfolio(frame(rows[:5]), FW).distribution.index) == CLASSES


def test_top_priorities_count_firms_on_their_latest_diagnostic() -> None:
    rows = [
        row(1, "2025-01-01", 0.3, top=["ip_protection"]),  # earlier: not counted
        row(1, "2025-06-01", 0.3, top=["net_weak_ties", "strat_global", "net_weak_ties"]),  # counted once
        row(2, "2025-01-01", 0.3, top=["net_weak_ties"]),
        row(3, "2025-01-01", 0.3, top=[]),
        row(4, "2025-01-01", 0.3, top=None),
    ]
    a = portfolio(frame(rows), FW).activities
    assert a.index[:2].tolist() == ["net_weak_ties", "strat_global"]
    assert a.loc["net_weak_ties"].tolist() == [2, 0.5] and a.loc["strat_global"].tolist() == [1, 0.25]
    assert a.loc["ip_protection", "firms"] == 0
    # the rest, all zero, in the framework's order
    zeros = [x for x in a.index if a.loc[x, "firms"] == 0]
    assert zeros == [x.id for x in FW.activities if x.id not in ("net_weak_ties", "strat_global")]


def test_groups_means_gap_weakest_dimension_and_other() -> None:
    rows = [
        row(1, "2025-01-01", 0.40, iip=0.5, iep=0.3, sector="11.02", dims={"networks": 0.2, "ip": 0.9}),  # gap .01
        row(2, "2025-01-01", 0.70, iip=0.8, iep=0.6, sector="11.02", dims={"networks": 0.4, "ip": 0.1}),  # gap 0
        row(3, "2025-01-01", 0.10, iip=0.2, iep=0.0, sector="11.02", dims={"ip": 0.2}),                     # gap .19
        row(4, "2025-01-01", 0.50, sector="10.1"),   # gap .11
        row(5, "2025-01-01", 0.30, sector=None),     # not given; gap .11
    ]
    p = portfolio(frame(rows), FW, min_group=3)
    s = p.sector.rows
    assert s.index.tolist() == ["", "10.1", "11.02"]
    g = s.loc["11.02"]
    assert g["firms"] == 3
    assert g["iip"] == pytest.approx(0.5) and g["iep"] == pytest.approx(0.3) and g["iiep"] == pytest.approx(0.4)
    assert g["gap"] == pytest.approx((0.01 + 0 + 0.19) / 3)
    assert g["networks"] == pytest.approx(0.3) and g["ip"] == pytest.approx(0.4)  # a missing score is left out
    assert weakest_dimension(g, p.dimensions) == "networks"
    assert s.loc["10.1", "gap"] == pytest.approx(0.11) and s.loc["", "gap"] == pytest.approx(0.11)
    # the groups of fewer than 3 firms together: 10.1 and "not given"
    assert p.sector.other["firms"] == 2 and p.sector.other["iiep"] == pytest.approx(0.40)
    assert p.region.other is None and p.region.rows.loc["r", "firms"] == 5
    assert p.overall["firms"] == 5 and p.overall["iiep"] == pytest.approx(0.40)


def test_programmes_count_firms_not_plans() -> None:
    rows = [
        row(1, "2025-01-01", 0.3, proposed=["p"], used=None),
        row(1, "2025-06-01", 0.3, proposed=["p", "q"], used=["p"]),
        row(2, "2025-01-01", 0.3, proposed=["p"], used=[]),
        row(3, "2025-01-01", 0.3, proposed=[], used=["r"]),
    ]
    p = portfolio(frame(rows), FW).programmes
    assert p.index.tolist() == ["p", "q", "r"]
    assert p.loc["p"].tolist() == [2, 1] and p.loc["q"].tolist() == [1, 0] and p.loc["r"].tolist() == [0, 1]


def test_movement_from_the_first_supported_diagnostic_and_the_comparison_group() -> None:
    rows = [
        # X: supported on its first plan, then up from passive to preactive (the latest)
        row("X", "2025-01-01", 0.20, supported=True), row("X", "2025-04-01", 0.35), row("X", "2025-09-01", 0.47),
        # Y: its plan acted on only after its latest diagnostic: comparison group, reactive → reactive
        row("Y", "2025-01-01", 0.30), row("Y", "2025-05-01", 0.33, supported=True),
        # Z: supported from its second diagnostic (reactive), down to passive
        row("Z", "2025-01-01", 0.45), row("Z", "2025-03-01", 0.35, supported=True), row("Z", "2025-08-01", 0.20),
        # V: supported, preactive → preactive
        row("V", "2025-01-01", 0.45, supported=True), row("V", "2025-02-01", 0.50),
        # W: a single diagnostic: not compared
        row("W", "2025-01-01", 0.90, supported=True),
    ]
    p = portfolio(frame(rows), FW)
    s, c = p.supported, p.comparison
    assert (s.firms, s.up, s.same, s.down) == (3, 1, 1, 1)
    assert s.table.loc[PAS, PRE] == 1 and s.table.loc[RE, PAS] == 1 and s.table.loc[PRE, PRE] == 1
    assert int(s.table.to_numpy().sum()) == 3 and s.rows.tolist() == [0, 1, 1, 1]
    assert s.mean_delta == pytest.approx(((0.47 - 0.20) + (0.20 - 0.35) + (0.50 - 0.45)) / 3)
    assert (c.firms, c.up, c.same, c.down) == (1, 0, 1, 0) and c.table.loc[RE, RE] == 1
    assert c.mean_delta == pytest.approx(0.03)
    assert p.multi == 4


def test_an_empty_frame_gives_an_empty_portfolio() -> None:
    p = portfolio(pd.DataFrame(columns=list(FRAME_COLUMNS)), FW)
    assert p.firms == 0 and p.assessments == 0 and p.multi == 0 and len(p.points) == 0
    assert p.distribution.to_numpy().sum() == 0 and p.supported.firms == 0 and p.supported.mean_delta is None
    m = mask(p)
    assert m.firms == 0 and m.assessments == 0 and (m.distribution.to_numpy() == 0).all()


def test_bad_frames_are_refused_naming_the_column() -> None:
    with pytest.raises(PortfolioError, match="lacks the column\\(s\\) region, supported"):
        portfolio(frame([row(1, "2025-01-01", 0.3)]).drop(columns=["region", "supported"]), FW)
    bad = frame([row(1, "2025-01-01", 0.3)])
    bad["iep"] = ["high"]
    with pytest.raises(PortfolioError, match="column iep holds something that is not a number"):
        portfolio(bad, FW)
    bad = frame([row(1, "2025-01-01", 0.3)])
    bad["assessed_on"] = ["last spring"]
    with pytest.raises(PortfolioError, match="column assessed_on holds something that is not a date"):
        portfolio(bad, FW)
    with pytest.raises(PortfolioError, match="min_group must be a whole number ≥ 1, not 0"):
        portfolio(frame([row(1, "2025-01-01", 0.3)]), FW, min_group=0)
    with pytest.raises(PortfolioError, match="not list"):
        portfolio([1, 2], FW)  # type: ignore[arg-type]


# --- masking, hand-worked ------------------------------------------------------------------------------------


def test_four_firms_are_masked_entirely_five_are_not() -> None:
    m = mask(portfolio(firms_in([PRO, PRO, PRO, PRO]), FW))
    assert m.masked and m.firms is None and m.assessments is None and m.multi is None
    assert m.distribution.isna().all().all() and m.cross.isna().all().all()  # zeros too
    assert all(v is None for v in m.overall) and len(m.points) == 0
    assert m.activities["firms"].isna().all() and m.sector.rows.empty and m.sector.other["firms"] is None
    m = mask(portfolio(firms_in([PRO] * 5), FW))
    assert m.firms == 5 and m.distribution["iiep"].tolist() == [5, 0, 0, 0]
    assert m.cross.loc[PRO, PRO] == 5 and m.overall["iiep"] == pytest.approx(0.7)
    assert m.sector.rows.loc["s", "firms"] == 5 and m.sector.other is None
    # 4 + 1: both hidden, the firms and the zeros published
    m = mask(portfolio(firms_in([PRO] * 4 + [PRE]), FW))
    assert m.firms == 5 and m.distribution["iiep"].tolist() == [None, None, 0, 0]


def test_a_small_class_is_not_left_to_subtraction() -> None:
    """IIP classes 10, 3, 0, 7 of 20 firms: 3 is hidden, and so is another count (else 20 − 10 − 7 = 3)."""
    rows = [row(i, "2025-01-01", 0.5, iip=v, iep=0.5)
            for i, v in enumerate([0.7] * 10 + [0.5] * 3 + [0.1] * 7)]
    p = portfolio(frame(rows), FW)
    assert p.distribution["iip"].tolist() == [10, 3, 0, 7]
    m = mask(p)
    assert m.distribution["iip"].tolist() == [10, None, 0, None]
    assert m.distribution["iep"].tolist() == [0, 20, 0, 0]
    # the plane: every firm is IEP preactive, so each cell of that column is its IIP class count
    assert m.cross[PRE].tolist() == [10, None, 0, None] and m.cross.loc[PRO].tolist() == [0, 10, 0, 0]
    assert m.flags["distribution"].loc[PRE, "iip"] and not m.flags["distribution"].loc[PRO, "iip"]


def test_small_sectors_are_merged_into_other_and_protected() -> None:
    rows = ([row(i, "2025-01-01", 0.5, sector="A") for i in range(6)]
            + [row(10 + i, "2025-01-01", 0.3, sector="B") for i in range(7)]
            + [row(20, "2025-01-01", 0.1, sector="C"), row(21, "2025-01-01", 0.1, sector="D"),
               row(22, "2025-01-01", 0.1, sector="E")])
    p = portfolio(frame(rows), FW)
    assert p.sector.other["firms"] == 3
    m = mask(p)
    # C, D and E are not named; "other" (3) is hidden, and so is A (6, the smallest), else 16 − 7 − 6 = 3
    assert m.sector.rows.index.tolist() == ["A", "B"]
    assert m.sector.rows.loc["A"].tolist() == [None] * len(m.sector.rows.columns)
    assert m.sector.rows.loc["B", "firms"] == 7 and m.sector.rows.loc["B", "iiep"] == pytest.approx(0.3)
    assert m.sector.other["firms"] is None and m.sector.other["iiep"] is None
    assert masked_flags(p)["sector"].to_dict() == {"A": True, "B": False, "C": True, "D": True, "E": True}


def test_counts_close_to_all_firms_are_hidden_too() -> None:
    """Seven firms: an activity among the priorities of 5 leaves 2 without it, a small group."""
    tops = [["net_weak_ties", "strat_global", "ip_protection"]] * 2 + [["net_weak_ties", "strat_global"]] * 3 \
        + [["net_weak_ties"]] * 2
    p = portfolio(frame([row(i, "2025-01-01", 0.5, top=t) for i, t in enumerate(tops)]), FW)
    m = mask(p)
    assert p.activities.loc["strat_global", "firms"] == 5 and m.activities.loc["strat_global", "firms"] is None
    assert m.activities.loc["net_weak_ties"].tolist() == [7, 1.0]
    assert m.activities.loc["ip_protection"].tolist() == [None, None]
    assert m.activities.loc["skills_languages"].tolist() == [0, 0.0]
    # the published rows first (most frequent first), the hidden ones after, in the framework's order
    assert m.activities.index[0] == "net_weak_ties"
    assert m.activities.index[-2:].tolist() == ["strat_global", "ip_protection"]


def test_mask_is_idempotent_and_keeps_published_values() -> None:
    p = portfolio(firms_in([PRO] * 6 + [PRE] * 2 + [PAS] * 7), FW)
    m = mask(p)
    assert mask(m) is m and masked_flags(m) is m.flags
    # 2 preactive firms hidden, and the 6 proactive ones (the smallest other count), else 15 − 7 = 8 − 6 = 2
    assert m.distribution["iiep"].tolist() == [None, None, 0, 7]


# --- shared outputs ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seven():
    rows = [row(i, "2025-01-01", v, sector="11.02" if i < 6 else "01.21", name=f"Bodega {i}",
                top=["net_weak_ties"], proposed=["fr_cir"])
            for i, v in enumerate([0.7, 0.7, 0.7, 0.7, 0.7, 0.5, 0.1])]
    return portfolio(frame(rows), FW)


def test_xlsx_is_masked_and_in_the_language(seven) -> None:
    data = xlsx_bytes(seven, FW, lang="es", organisation="Cámara X", filters={"sector": "11.02", "from": "2025-01-01"},
                      programme_names={"fr_cir": "Crédito CIR"}, generated_on=dt.date(2026, 1, 2))
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Resumen", "Clases", "IIP × IEP", "Prioridades", "Por sector", "Por región", "Programas",
                             "Evolución"]
    rows = [list(r) for r in wb["Clases"].iter_rows(values_only=True)]
    assert rows[0][0] == "Distribución de las clases" and rows[1][:2] == ["Organización", "Cámara X"]
    assert rows[2][1] == dt.datetime(2026, 1, 2)
    assert rows[4:10] == [["Sector", "11.02"] + [None] * 2, ["Región", "todos"] + [None] * 2,
                          ["Tamaño", "todos"] + [None] * 2, ["Asesor", "todos"] + [None] * 2,
                          ["Diagnósticos desde el", "2025-01-01"] + [None] * 2, ["Diagnósticos hasta el", "todos"] + [None] * 2]
    assert rows[-4:] == [["Proactiva", 5, 5, 5], ["Preactiva", "oculto", "oculto", "oculto"], ["Reactiva", 0, 0, 0],
                         ["Pasiva", "oculto", "oculto", "oculto"]]
    programmes = [list(r) for r in wb["Programas"].iter_rows(values_only=True)]
    assert programmes[-1] == ["Crédito CIR", "fr_cir", 7, 0]
    text = " ".join(str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v is not None)
    assert "Bodega" not in text and "01.21" not in text
    with pytest.raises(PortfolioError, match="unknown filter\\(s\\) country"):
        xlsx_bytes(seven, FW, filters={"country": "FR"})
    with pytest.raises(PortfolioError, match="unknown language 'de'"):
        xlsx_bytes(seven, FW, lang="de")


def test_brief_html_is_masked_and_names_no_firm(seven) -> None:
    html = brief_html(seven, FW, lang="fr", organisation="CCI Test", generated_on=dt.date(2026, 3, 1))
    assert "Note de portefeuille" in html and "CCI Test" in html and "1 mars 2026" in html  # CLDR's long date
    assert "Bodega" not in html and "<circle" not in html and "01.21" not in html
    assert html.count('<span class="masked">masqué</span>') >= 6
    assert "Autres (groupes de moins de 5 entreprises)" in html
    assert "Mobiliser les liens faibles" in html


def test_brief_pdf(seven) -> None:
    from pypdf import PdfReader

    pdf = brief_pdf(seven, FW, lang="en", organisation="Chamber")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Portfolio brief" in text and "Distribution of classes" in text and "masked" in text
    assert "Bodega" not in text


def test_every_message_used_exists_in_the_three_languages() -> None:
    sources = [(ROOT / "src/innexport/rendering/portfolio.py").read_text(encoding="utf-8"),
               (ROOT / "src/innexport/rendering/templates/portfolio_brief.html.j2").read_text(encoding="utf-8")]
    keys = {k for text in sources for k in re.findall(r'"(portfolio\.[a-z_.]+[a-z_])"', text)}
    keys |= {f"portfolio.{kind}.{k}" for kind, ks in (("sheet", ("summary", "classes", "plane", "priorities", "sector",
                                                                  "region", "programmes", "movement")),
                                                       ("filter", ("sector", "region", "size", "advisor", "from", "to")),
                                                       ("section", ("sector", "region")),
                                                       ("col", ("sector", "region", "up", "same", "down")),
                                                       ("movement", ("supported", "comparison")),
                                                       ("programmes", ("most_proposed", "most_used")))
             for k in ks}
    assert len(keys) > 60
    for lang in LANGUAGES:
        tr = i18n.translator(lang)
        assert sorted(k for k in keys if not tr.has(k)) == []
        assert all(len(tr.t(f"portfolio.sheet.{k}")) <= 31 for k in ("summary", "movement", "programmes"))


# --- properties ---------------------------------------------------------------------------------------------------

ACTS = [a.id for a in FW.activities[:4]]


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 16))
    rows = []
    classes = st.sampled_from([*CLASSES, ""])
    for f in range(n):
        sector = draw(st.sampled_from(["a", "b", "c", ""]))
        region = draw(st.sampled_from(["x", "y"]))
        for _ in range(draw(st.integers(1, 3))):
            value = draw(st.floats(0, 1))
            rows.append({
                "firm": f, "assessment": len(rows), "assessed_on": dt.date(2025, 1, 1) + dt.timedelta(draw(st.integers(0, 30))),
                "iip": value, "iep": draw(st.floats(0, 1)), "iiep": value, "class_iip": draw(classes),
                "class_iep": draw(classes), "class_iiep": draw(classes),
                "top_activities": draw(st.lists(st.sampled_from(ACTS), max_size=3)),
                "dimension_scores": {"networks": value}, "sector": sector, "region": region, "size": "", "advisor": 1,
                "supported": draw(st.booleans()), "programmes_proposed": draw(st.lists(st.sampled_from(["p", "q"]))),
                "programmes_used": draw(st.lists(st.sampled_from(["p", "q"]), max_size=1)),
            })
    return pd.DataFrame(rows, columns=["firm", "assessment", *FRAME_COLUMNS[1:]])


def _lines(p) -> list[tuple[object, list[object]]]:
    """(total, members) of every sum the masked tables publish."""
    out = [(p.firms, p.distribution[ix].tolist()) for ix in ("iip", "iep", "iiep")]
    for c in p.distribution.index:
        out.append((p.distribution.at[c, "iip"], p.cross.loc[c].tolist()))
        out.append((p.distribution.at[c, "iep"], p.cross[c].tolist()))
    for by in ("sector", "region"):
        g = p.groups(by)
        out.append((p.firms, [*g.rows["firms"].tolist(), *([g.other["firms"]] if g.other is not None else [])]))
    out.append((p.multi, [p.supported.firms, p.comparison.firms]))
    for m in (p.supported, p.comparison):
        out.append((m.firms, [m.up, m.same, m.down]))
        out.append((m.firms, m.rows.tolist()))
        out.extend((m.rows[b], m.table.loc[b].tolist()) for b in m.table.index)
    return out


def _counts(p) -> list[object]:
    values = [p.firms, p.multi, *p.distribution.to_numpy().ravel(), *p.cross.to_numpy().ravel(),
              *p.activities["firms"], *p.programmes.to_numpy().ravel()]
    for by in ("sector", "region"):
        g = p.groups(by)
        values += g.rows["firms"].tolist() + ([g.other["firms"]] if g.other is not None else [])
    for m in (p.supported, p.comparison):
        values += [m.firms, m.up, m.same, m.down, *m.rows, *m.table.to_numpy().ravel()]
    return values


@settings(max_examples=60)
@given(frames())
def test_counts_add_up_to_the_firms(df: pd.DataFrame) -> None:
    p = portfolio(df, FW)
    n = df["firm"].nunique() if len(df) else 0
    assert p.firms == n == len(p.points)
    for ix in ("iip", "iep", "iiep"):
        assert int(p.distribution[ix].sum()) == n
    assert int(p.cross.to_numpy().sum()) == n
    assert p.cross.sum(axis=1).tolist() == p.distribution["iip"].tolist()
    assert p.cross.sum(axis=0).tolist() == p.distribution["iep"].tolist()
    for by in ("sector", "region"):
        g = p.groups(by)
        assert int(g.rows["firms"].sum()) == n
        small = g.rows["firms"][g.rows["firms"] < 5]
        assert (g.other is None) == small.empty and (g.other is None or g.other["firms"] == small.sum())
    for m in (p.supported, p.comparison):
        assert m.up + m.same + m.down == m.firms == int(m.table.to_numpy().sum()) == int(m.rows.sum())
    assert p.supported.firms + p.comparison.firms == p.multi <= n
    assert (p.activities["firms"] <= n).all() and (p.programmes <= n).all().all()


@settings(max_examples=60)
@given(frames())
def test_masking_never_reveals_a_group_of_fewer_than_five(df: pd.DataFrame) -> None:
    p = portfolio(df, FW)
    m = mask(p)
    published = [v for v in _counts(m) if v is not None]
    if p.firms == 0:
        assert all(v == 0 for v in published)
        return
    if p.firms < 5:
        assert published == [] and all(v is None for v in m.overall)
        return
    # a published count is 0 or at least 5, and so is what it leaves of all the firms
    assert all(v == 0 or v >= 5 for v in published)
    for v in [*m.activities["firms"], *m.programmes.to_numpy().ravel()]:
        assert v is None or p.firms - v == 0 or p.firms - v >= 5
    # no sum has exactly one hidden term (it could be worked out by subtraction)
    for total, members in _lines(m):
        assert [total, *members].count(None) != 1
    # small groups are not named; the means of a hidden group are hidden
    for by in ("sector", "region"):
        g, mg = p.groups(by), m.groups(by)
        assert set(mg.rows.index) == set(g.rows.index[g.rows["firms"] >= 5])
        for _key, r in mg.rows.iterrows():
            assert (r["firms"] is None) == all(v is None for v in r)
    # what is published is the true value
    shown = m.distribution.to_numpy() != None  # noqa: E711 - elementwise on an object array (`is not` would test the array)
    assert (m.distribution.to_numpy()[shown] == p.distribution.to_numpy()[shown]).all()
    assert np.array_equal(m.cross.to_numpy() != None, ~masked_flags(p)["cross"].to_numpy())  # noqa: E711 - elementwise, as above


@settings(max_examples=40)
@given(frames())
def test_masking_is_idempotent(df: pd.DataFrame) -> None:
    m = mask(portfolio(df, FW))
    again = mask(m)
    assert again is m
    assert again.distribution.equals(m.distribution) and again.cross.equals(m.cross)


# --- several framework versions (regression: dimensions collected with duplicates) ------------------------------

WINE = load_framework("iiep", ["wine"])


def two_versions() -> pd.DataFrame:
    """Six firms of one sector, three scored with ``iiep`` and three with ``iiep + wine``.

    Mean scores of the sector: networks (0.2·3 + 0.4·3) / 6 = 0.3 (the weakest), ip (0.5·3 + 0.2·3) / 6 = 0.35,
    customer 0.6, the other dimensions not scored; wine_tourism among the top priorities of the three wine
    firms."""
    rows = []
    for i in range(6):
        wine = i >= 3
        rows.append(row(i, "2025-01-01", 0.5, top=["wine_tourism", "net_weak_ties"] if wine else ["net_weak_ties"],
                        dims={"networks": 0.4 if wine else 0.2, "ip": 0.2 if wine else 0.5, "customer": 0.6}))
    return frame(rows)


def test_several_framework_versions_match_dimensions_and_activities_by_id() -> None:
    p = portfolio(two_versions(), [WINE, FW])
    ids = [d.id for d in FW.dimensions]
    assert list(p.dimensions) == ids  # each dimension once, in the framework's order
    g = p.sector.rows.loc["s"]
    assert g.index.is_unique and p.overall.index.is_unique
    assert g["networks"] == pytest.approx(0.3) and g["ip"] == pytest.approx(0.35) and g["customer"] == pytest.approx(0.6)
    assert weakest_dimension(g, p.dimensions) == "networks"
    # activities of both versions, each once: wine_tourism (wine only) counted for its 3 firms
    a = p.activities
    assert a.index.is_unique and set(a.index) == {x.id for x in WINE.activities}
    assert a.loc["net_weak_ties", "firms"] == 6 and a.loc["wine_tourism", "firms"] == 3
    # the same with the frameworks the other way round, or the same framework twice
    assert list(portfolio(two_versions(), [FW, WINE, FW]).dimensions) == ids


def test_several_framework_versions_in_the_shared_outputs() -> None:
    p = portfolio(two_versions(), [WINE, FW])
    wb = load_workbook(io.BytesIO(xlsx_bytes(p, [WINE, FW], organisation="Chamber")))
    sector = [list(r) for r in wb["By sector"].iter_rows(values_only=True)]
    header = [r for r in sector if r and r[0] == "Sector"][-1]  # after the filters written on top
    names = [d.name["en"] for d in FW.dimensions]
    assert header[7:] == names  # each dimension once
    line = next(r for r in sector if r and r[0] == "s")
    assert line[1] == 6 and line[6] == "Networks" and line[7] == pytest.approx(0.3)
    html = brief_html(p, [WINE, FW], lang="en", organisation="Chamber")
    assert html.count("Networks <span") == 2  # weakest dimension of sector s and of region r


# --- layers and wording -----------------------------------------------------------------------------------------


def test_the_portfolio_layer_imports_no_rendering_web_or_cli() -> None:
    """portfolio/ sits below rendering/, web/ and cli/: no import of them, not even inside a function."""
    import ast
    import subprocess
    import sys

    upper = ("innexport.rendering", "innexport.web", "innexport.cli")
    files = sorted((ROOT / "src/innexport/portfolio").glob("*.py"))
    assert {f.name for f in files} >= {"compute.py", "disclosure.py"}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom):
                base = ["innexport", "portfolio"][: 3 - n.level] if n.level else []
                modules.append(".".join([*base, *([n.module] if n.module else [])]))
        assert [m for m in modules if m.startswith(upper)] == [], path.name
    code = ("import sys, innexport.portfolio.compute, innexport.portfolio.disclosure; "
            f"print(sorted(m for m in sys.modules if m.startswith({upper!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_names_word_numbers_through_the_translator() -> None:
    assert Names("fr").count(12345) == "12\u202f345" and Names("en").count(12345) == "12,345"
    assert Names("es").percent(0.67) == "67\xa0%" and Names("en").percent(0.675) == "68%"
    assert Names("fr").num(0.456) == "0,46" and Names("en").num(0.456, 1) == "0.5"
    for lang in LANGUAGES:
        L, tr = Names(lang, (FW,)), i18n.translator(lang)
        assert L.count(1234567) == tr.count(1234567) and L.percent(0.25) == tr.percent(0.25)
        assert L.count(None) == L.num(None) == L.percent(None) == tr.t("portfolio.masked") != ""
        assert L.cls("passive") == next(c.label[lang] for c in FW.classes if c.id == "passive")
    assert Names("en", (WINE, FW)).activity("wine_tourism") == WINE.activity_by_id["wine_tourism"].name["en"]
    with pytest.raises(PortfolioError, match="unknown language 'de'"):
        Names("de")


@settings(max_examples=60)
@given(frames(), st.sampled_from(["lists", "json"]))
def test_the_latest_columns_are_read_on_the_latest_diagnostics_only(df: pd.DataFrame, form: str) -> None:
    """LATEST_COLUMNS' contract: emptied on every other diagnostic (as the web page reads them), and
    the list and dict columns given as a database gives them (JSON text), the portfolio is the same."""
    from innexport.portfolio.compute import LATEST_COLUMNS, chronological, last_of_each

    full = df.copy()
    if form == "json":
        for column in ("top_activities", "dimension_scores", "programmes_proposed", "programmes_used"):
            full[column] = [json.dumps(v) for v in full[column]]
    thin = full.copy()
    if len(df):
        _, order, codes = chronological(df, "test")
        latest = np.zeros(len(df), dtype=bool)
        latest[order[last_of_each(codes)]] = True
        for column in LATEST_COLUMNS:
            thin[column] = thin[column].astype(object).where(latest, None)
    p, q = portfolio(df, FW), portfolio(thin, FW)
    assert _counts(p) == _counts(q)
    for name in ("points", "distribution", "cross", "activities", "programmes", "overall"):
        left, right = getattr(p, name), getattr(q, name)
        (pd.testing.assert_series_equal if isinstance(left, pd.Series) else pd.testing.assert_frame_equal)(
            left, right, check_dtype=False)
    for by in ("sector", "region"):
        pd.testing.assert_frame_equal(p.groups(by).rows, q.groups(by).rows, check_dtype=False)
    assert [p.movement(g).mean_delta for g in ("supported", "comparison")] == \
        [q.movement(g).mean_delta for g in ("supported", "comparison")]
