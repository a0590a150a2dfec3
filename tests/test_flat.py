"""The flat tables for BI tools (:mod:`innexport.portfolio.flat`): columns and values worked out by
hand, the analysts' masking as the portfolio's disclosure rules give it (properties with
hypothesis), and each file format read back."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innexport.files.cells import FORMULA_TRIGGERS
from innexport.files.frameworks import load_framework
from innexport.portfolio import disclosure, flat
from innexport.portfolio.compute import MIN_GROUP, PortfolioError

FW = load_framework("iiep")


def raw_row(i: int, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(flat.RAW_ASSESSMENT_COLUMNS)
    row.update(assessment_id=i, firm_id=i, firm_name=f"Firm {i}", contact="Ana", country="FR", region="Grand Est",
               sector="11.02", size_class="small", assessed_on=dt.date(2025, 1, 1), status="completed",
               framework_id="iiep", respondents=1)
    row.update(values)
    return row


def test_the_assessments_table_worked_out() -> None:
    dims, acts = [d.id for d in FW.dimensions], [a.id for a in FW.activities]
    raw = pd.DataFrame([
        raw_row(1, iip=0.8, iep="0.6", iiep=0.7, class_iip="proactive", class_iep="preactive", class_iiep="preactive",
                iiep_low=0.62, iiep_high="0.75", iiep_stability=0.8, quadrant="innovative_exporter",
                completeness=0.95, questions=40, validated=2, corrected=None, self_assessed=38,
                top_activities=f'["{acts[2]}", "{acts[0]}"]', dimension_scores={dims[1]: 0.5, "extra": 0.1},
                activity_scores=[{"id": acts[0], "score": 0.25}, {"id": acts[1], "score": None}],
                framework_modules='["wine"]', respondents=3),
        raw_row(2, status="draft", class_iip="", top_activities=None, dimension_scores=None, activity_scores=None),
    ])
    t = flat.assessments_table(raw, [FW])
    assert list(t.columns) == [*flat.ASSESSMENT_COLUMNS, *(f"dim_{d}" for d in dims), "dim_extra",
                               *(f"act_{a}" for a in acts)]
    first = t.iloc[0]
    assert (first["iip"], first["iep"], first["iiep"]) == (0.8, 0.6, 0.7)
    assert (first["iip_class"], first["iiep_class"], first["iiep_low"], first["iiep_high"]) == (
        "proactive", "preactive", 0.62, 0.75)
    assert pd.isna(first["iip_low"]) and first["quadrant"] == "innovative_exporter"
    assert [first[f"priority_{k}"] for k in range(1, 6)] == [acts[2], acts[0], None, None, None]
    # a validation without corrections: 0 corrected; three respondents
    assert (first["respondents"], first["validated"], first["corrected"], first["self_assessed"]) == (3, 2, 0, 38)
    assert (first[f"dim_{dims[1]}"], first["dim_extra"], first[f"act_{acts[0]}"]) == (0.5, 0.1, 0.25)
    assert pd.isna(first[f"dim_{dims[0]}"]) and pd.isna(first[f"act_{acts[1]}"])
    assert first["framework_modules"] == "wine" and first["completeness"] == 0.95
    draft = t.iloc[1]
    assert draft["iip_class"] is None and draft["priority_1"] is None and draft["quadrant"] is None
    # not scored: no validation counts at all
    assert pd.isna(draft["validated"]) and pd.isna(draft["self_assessed"]) and pd.isna(draft["iip"])


def test_a_table_lacking_a_column_is_refused_naming_it() -> None:
    with pytest.raises(flat.FlatError, match=r"assessments: the table lacks the column\(s\) quadrant"):
        flat.assessments_table(pd.DataFrame([raw_row(1)]).drop(columns="quadrant"))
    with pytest.raises(PortfolioError, match="dimension_scores"):
        flat.assessments_table(pd.DataFrame([raw_row(1, dimension_scores="{not json")]))


def test_the_answers_table_worked_out() -> None:
    o = FW.observables[0]
    levels = FW.scale_by_id[o.scale].levels
    activity = FW.activity_of[o.id]
    raw = pd.DataFrame([
        {"assessment_id": 5, "firm_id": 9, "framework": 1, "question_id": o.id, "answer": levels[1].code,
         "respondent": None, "respondent_role": "director", "review_state": "corrected", "review_answer": "dk"},
        {"assessment_id": 5, "firm_id": 9, "framework": 1, "question_id": o.id, "answer": "dk",
         "respondent": 4, "respondent_role": "export_manager", "review_state": None, "review_answer": None},
        {"assessment_id": 5, "firm_id": 9, "framework": 1, "question_id": "gone", "answer": "x",
         "respondent": None, "respondent_role": "director", "review_state": "", "review_answer": ""},
    ])
    t = flat.answers_table(raw, flat.level_lookup({1: FW}))
    assert list(t.columns) == list(flat.ANSWER_COLUMNS)
    assert t.drop(columns="respondent").iloc[0].to_dict() == {
        "assessment_id": 5, "firm_id": 9, "respondent_role": "director", "question_id": o.id,
        "dimension": FW.dimension_of[activity.id].id, "activity": activity.id, "answer": levels[1].code,
        "value": levels[1].value, "review_state": "corrected", "review_answer": "dk"}
    assert pd.isna(t.iloc[0]["respondent"]) and t.iloc[1]["respondent"] == 4
    assert pd.isna(t.iloc[1]["value"])  # don't know has no value
    assert pd.isna(t.iloc[2]["dimension"]) and t.iloc[2]["review_state"] is None  # a question the framework lacks


# --- analysts ------------------------------------------------------------------------------------------


def frame_of(sectors: list[str], regions: list[str]) -> pd.DataFrame:
    rows = [raw_row(i, sector=s, region=r, iiep=0.5, class_iiep="reactive")
            for i, (s, r) in enumerate(zip(sectors, regions, strict=True))]
    return flat.assessments_table(pd.DataFrame(rows), [FW])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["11.02", "62.01", "01.21", "25.6", ""]),
                          st.sampled_from(["Maule", "Corse", "Grand Est"])), min_size=1, max_size=40))
def test_an_analyst_sees_only_groups_the_portfolio_publishes(pairs: list[tuple[str, str]]) -> None:
    table = frame_of([s for s, _r in pairs], [r for _s, r in pairs])
    masked, _answers = flat.for_analysts(table, None, [FW])
    assert not set(flat.IDENTIFYING) & set(masked.columns)
    if len(pairs) < MIN_GROUP:
        assert masked.empty
        return
    assert masked["firm_id"].tolist() == table["firm_id"].tolist()
    for column in ("sector", "region"):
        shown = masked[column].dropna()
        # every value shown on its own stands for at least MIN_GROUP firms, and so does "other"
        assert (shown.value_counts() >= MIN_GROUP).all()
        # a value shown is the firm's own, else "(other)" or nothing
        kept = masked[column].notna() & (masked[column] != flat.OTHER)
        assert (masked.loc[kept, column] == table.loc[kept, column]).all()
    # the very flags of the portfolio's shared outputs decide it
    from innexport.portfolio.compute import portfolio

    flags = disclosure.masked_flags(portfolio(flat._portfolio_frame(table, "sector", "region"), [FW]))
    for sector, hidden in flags["sector"].items():
        rows = table["sector"].fillna("") == sector
        shown = masked.loc[rows, "sector"]
        if sector:  # (no sector reads empty whether published or not)
            assert (shown == sector).all() if not hidden else not (shown == sector).any()
        if hidden:
            assert set(shown.fillna("-")) <= {flat.OTHER, "-"}


def test_answers_go_with_the_rule_for_the_whole_selection() -> None:
    table = frame_of(["11.02"] * 3, ["Maule"] * 3)
    answers = pd.DataFrame({c: [1] for c in flat.ANSWER_COLUMNS})
    masked, kept = flat.for_analysts(table, answers, [FW])
    assert masked.empty and kept is not None and kept.empty and list(kept.columns) == list(flat.ANSWER_COLUMNS)
    big = frame_of(["11.02"] * 5, ["Maule"] * 5)
    masked, kept = flat.for_analysts(big, answers, [FW])
    assert len(masked) == 5 and kept is answers
    assert masked["sector"].tolist() == ["11.02"] * 5 and masked["country"].tolist() == ["FR"] * 5


# --- files ---------------------------------------------------------------------------------------------


def sample() -> pd.DataFrame:
    table = frame_of(["11.02", "62.01"], ["Valparaíso", "=cmd|' /C calc'!A0"])
    table["completed_at"] = [dt.datetime(2025, 3, 4, 10, 30, tzinfo=dt.UTC), None]
    return table


def test_csv_reads_back_with_a_bom_and_no_formula() -> None:
    data = flat.to_bytes(sample(), "csv")
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert back["region"].tolist() == ["Valparaíso", "'=cmd|' /C calc'!A0"]
    assert back["completed_at"].tolist() == ["2025-03-04T10:30:00", ""]
    assert back["iiep"].tolist() == [0.5, 0.5] and list(back.columns) == list(sample().columns)


def test_xlsx_reads_back_as_text_cells() -> None:
    book = openpyxl.load_workbook(io.BytesIO(flat.to_bytes(sample(), "xlsx", sheet="assessments")))
    sheet = book["assessments"]
    header = [c.value for c in sheet[1]]
    assert header == list(sample().columns) and sheet.max_row == 3
    region = sheet.cell(row=3, column=header.index("region") + 1)
    assert region.data_type == "s" and region.value == "'=cmd|' /C calc'!A0"
    assert sheet.cell(row=2, column=header.index("completed_at") + 1).value == dt.datetime(2025, 3, 4, 10, 30)
    assert sheet.cell(row=2, column=header.index("iiep") + 1).value == 0.5
    assert sheet.cell(row=2, column=header.index("iip") + 1).value is None


def test_parquet_keeps_the_types() -> None:
    arrow = pq.read_table(io.BytesIO(flat.to_bytes(sample(), "parquet")))
    assert str(arrow.schema.field("completed_at").type).startswith("timestamp[") and "UTC" in str(
        arrow.schema.field("completed_at").type)
    assert str(arrow.schema.field("assessed_on").type) == "date32[day]"
    assert str(arrow.schema.field("respondents").type) == "int64" and arrow.column("respondents").to_pylist() == [1, 1]
    table = arrow.to_pandas()
    assert table["region"].tolist()[1] == "=cmd|' /C calc'!A0"  # not a spreadsheet: not neutralised
    assert table["assessed_on"].tolist() == [dt.date(2025, 1, 1)] * 2


@given(st.text(max_size=20))
def test_no_text_cell_of_a_csv_starts_a_formula(text: str) -> None:
    table = pd.DataFrame({"a": [text], "b": [1.5]})
    back = pd.read_csv(io.BytesIO(flat.to_bytes(table, "csv")), encoding="utf-8-sig", keep_default_na=False,
                       dtype=str)
    cell = back["a"].iloc[0] if len(back) else ""
    assert not cell.startswith(FORMULA_TRIGGERS) or cell.startswith("'")


def test_json_records() -> None:
    out = flat.to_json(sample().iloc[:1][["assessment_id", "assessed_on", "completed_at", "iip", "region"]])
    assert out == ('[{"assessment_id":0,"assessed_on":"2025-01-01","completed_at":"2025-03-04T10:30:00Z",'
                   '"iip":null,"region":"Valparaíso"}]')
