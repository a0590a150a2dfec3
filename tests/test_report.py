"""The HTML and PDF reports and their SVG charts."""

from __future__ import annotations

import datetime as dt
import html as html_module
import io
import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markupsafe import Markup

from innexport.core.assessment import AnswerSheet, diagnose
from innexport.core.framework import Framework
from innexport.files.frameworks import load_framework
from innexport.rendering import charts, i18n
from innexport.rendering.i18n import Translator
from innexport.rendering.report import ReportError, render_html, render_pdf

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.yaml"))
SVG_NS = "{http://www.w3.org/2000/svg}"
ANSWERS = {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}

try:
    import weasyprint  # noqa: F401 - imported only to learn whether WeasyPrint and its Pango library load

    HAVE_WEASYPRINT = True
except (ImportError, OSError):
    HAVE_WEASYPRINT = False


@pytest.fixture(scope="module")
def mini():
    return load_framework(MINI)


def mini_result(fw, lang="fr", name="Domaine Test", answers=None, **kw):
    sheet = AnswerSheet(firm={"id": "f1", "name": name, "country": "FR", "size": "small"}, framework="mini",
                        answers=ANSWERS if answers is None else answers, comments={"q2": "Mostly with our importer"},
                        assessed_on=dt.date(2025, 3, 12), assessor="M. Dupont")
    return diagnose(fw, [sheet], lang, **kw)[0]


def svgs(html: str) -> list[ET.Element]:
    """Every inline SVG of a page, parsed as XML."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def svg_with_class(html: str, css_class: str) -> ET.Element:
    found = [s for s in svgs(html) if css_class in s.get("class", "").split()]
    assert len(found) == 1, f"expected one {css_class} chart"
    return found[0]


def visible_text(html: str) -> str:
    body = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", body))


# --- HTML ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "values", "classes", "top"),
    [
        ("fr", ("0,42", "0,67", "0,46"), ("Préactive", "Proactive"), "Innovation"),
        ("es", ("0,42", "0,67", "0,46"), ("Preactiva", "Proactiva"), "Innovación"),
        ("en", ("0.42", "0.67", "0.46"), ("Preactive", "Proactive"), "Innovation"),
    ],
)
def test_html_in_each_language(mini, lang, values, classes, top):
    result = mini_result(mini, lang)
    assert result.priorities[0].activity == "a_inn"
    html = render_html(result, mini, generated_on=dt.date(2025, 4, 1))
    text = visible_text(html)
    assert f'<html lang="{lang}">' in html
    assert "Domaine Test" in text
    for value in values:
        assert value in text
    for label in classes:
        assert label in text
    assert top in text
    assert i18n.t("report.title", lang) in text
    assert i18n.t("report.section.priorities", lang) in text
    assert i18n.t("quadrant.innovative_exporter", lang) in text
    # the dates, in the language
    assert {"fr": "12 mars 2025", "es": "12 de marzo de 2025", "en": "12 March 2025"}[lang] in text
    # answers and comments in the annex, with the level label of the language
    assert "Mostly with our importer" in text
    assert {"fr": "Souvent", "es": "A menudo", "en": "Often"}[lang] in text
    # no message key and no unfilled placeholder left
    assert not re.search(r"\b(report|index|tag|quadrant|reason)\.[a-z_]+", text)
    assert not re.search(r"\{[a-z_]+\}", text)
    # the full content hash in the annex, a short one in the header
    assert result.framework.content_hash in text


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_no_english_sentence_in_other_languages(mini, lang):
    html = visible_text(render_html(mini_result(mini, lang), mini))
    leaked = [
        texts["en"] for key, texts in i18n.catalogue().items()
        if key.startswith("report.") and "{" not in texts["en"] and len(texts["en"]) > 12
        and texts["en"] != texts[lang] and texts["en"] in html
    ]
    assert leaked == []


def test_every_report_message_is_translated():
    messages = {k: v for k, v in i18n.catalogue().items() if k.startswith("report.")}
    assert len(messages) > 100
    for key, texts in messages.items():
        fields = {lang: set(re.findall(r"\{(\w+)\}", texts[lang])) for lang in ("fr", "es", "en")}
        assert fields["fr"] == fields["es"] == fields["en"], key


def test_quadrant_point_sits_at_the_indices(mini):
    result = mini_result(mini, "en")
    html = render_html(result, mini)
    svg = svg_with_class(html, "quadrant")
    point = svg.find(f"{SVG_NS}circle[@class='firm']")
    g = charts.QuadrantGeometry()
    iip, iep = result.indices["iip"].value, result.indices["iep"].value
    assert float(point.get("cx")) == pytest.approx(g.left + iip * g.side, abs=0.06)
    assert float(point.get("cy")) == pytest.approx(g.top + (1 - iep) * g.side, abs=0.06)
    # the cut lines at the preactive threshold (0.41)
    cut_x = g.left + 0.41 * g.side
    assert any(line.get("x1") == line.get("x2") and float(line.get("x1")) == pytest.approx(cut_x, abs=0.06)
               for line in svg.iter(f"{SVG_NS}line"))


def test_every_chart_of_the_report_is_valid_xml(mini):
    html = render_html(mini_result(mini, "fr"), mini)
    kinds = [s.get("class") for s in svgs(html)]
    assert "chart quadrant" in kinds
    assert kinds.count("chart gauge") == 3
    # mini has two dimensions only: no radar, the report still renders
    assert "chart radar" not in kinds


def test_firm_name_is_escaped(mini):
    name = "A&B <Wines>"
    html = render_html(mini_result(mini, "en", name=name), mini)
    assert "<Wines>" not in html
    assert "A&amp;B &lt;Wines&gt;" in html
    labels = ["".join(t.itertext()) for t in svg_with_class(html, "quadrant").iter(f"{SVG_NS}text")]
    assert any(name in label or "A&B" in label for label in labels)
    # the page footer reads the name from the heading, never from a CSS string holding it
    style = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
    assert "Wines" not in style


def test_next_class_plan_is_shown_with_level_labels(mini):
    result = mini_result(mini, "fr")
    assert [(s.observable, s.from_code, s.to_code) for s in result.next_class.steps] == [("q3", "no", "yes")]
    html = render_html(result, mini)
    section = html[html.index('class="next-class"'):html.index('class="activity-scores"')]
    assert "Q3 ?" in section
    assert "Non" in section and "Oui" in section
    assert "0,42" in section and "0,92" in section  # IIP before → after


def test_already_proactive_on_both(mini):
    top = {"q1": "yes", "q2": "always", "q3": "yes", "q4": "yes", "q5": "always"}
    result = mini_result(mini, "en", answers=top)
    html = render_html(result, mini)
    assert "already proactive in both innovation and export" in visible_text(html)


def test_missing_index_still_renders(mini):
    result = mini_result(mini, "es", answers={"q3": "yes"}, min_completeness=0.0)
    assert result.indices["iep"].value is None and result.quadrant is None
    html = render_html(result, mini)
    text = visible_text(html)
    assert i18n.t("report.next.missing", "es") in text
    assert "sin respuesta" in text  # unanswered questions are listed
    svg_with_class(html, "quadrant")  # no point, but a valid chart


def test_framework_must_match_the_result(mini):
    result = mini_result(mini, "fr")
    other = Framework.model_validate({**mini.model_dump(), "version": "9.9.9"})
    with pytest.raises(ReportError, match="scored with"):
        render_html(result, other)


def test_language_helpers():
    assert Translator("fr").join(["a", "b", "c"]) == "a, b et c"
    assert Translator("es").join(["a", "innovar"]) == "a e innovar"
    assert Translator("es").join(["a", "b", "hilos"]) == "a, b e hilos"
    assert Translator("es").join(["a", "hielo"]) == "a y hielo"  # /je/: no e
    assert Translator("en").join(["a", "b", "c"]) == "a, b and c"  # CLDR en_GB: no serial comma
    assert Translator("en").join(["<x>"]) == "&lt;x&gt;"
    assert Translator("en").join(["<x>", Markup("<b>y</b>")]) == "&lt;x&gt; and <b>y</b>"
    # Babel/CLDR long dates (CLDR writes the French 1st as "1", not "1er")
    assert Translator("fr").date(dt.date(2025, 5, 1)) == "1 mai 2025"
    assert Translator("es").date(dt.date(2025, 5, 2)) == "2 de mayo de 2025"
    assert Translator("en").date(dt.date(2025, 5, 2)) == "2 May 2025"  # en_GB


# --- charts -------------------------------------------------------------------------------------------


def test_radar_maps_values_to_radii():
    values = [1.0, 0.5, 0.0, 0.25]
    svg = ET.fromstring(charts.radar_svg(["N", "E", "S", "W"], values, rings=[0.61, 0.41, 0.29], radius=100))
    width, height = float(svg.get("width")), float(svg.get("height"))
    cx, cy = width / 2, height / 2
    firm = svg.find(f"{SVG_NS}polygon[@class='firm']")
    points = [tuple(map(float, p.split(","))) for p in firm.get("points").split()]
    expected = [(cx, cy - 100), (cx + 50, cy), (cx, cy), (cx - 25, cy)]
    for (x, y), (ex, ey) in zip(points, expected, strict=True):
        assert x == pytest.approx(ex, abs=0.06) and y == pytest.approx(ey, abs=0.06)
    # each threshold ring is a polygon at its radius (dashed), labelled
    dashed = [p for p in svg.iter(f"{SVG_NS}polygon") if p.get("stroke-dasharray")]
    assert len(dashed) == 3
    top_y = sorted(float(p.get("points").split()[0].split(",")[1]) for p in dashed)
    assert top_y == pytest.approx([cy - 61, cy - 41, cy - 29], abs=0.06)
    assert {"0.61", "0.41", "0.29"} <= {t.text for t in svg.iter(f"{SVG_NS}text")}


def test_radar_point_geometry():
    assert charts.radar_point(0, 6, 1.0, 10, 10, 5) == pytest.approx((10, 5))
    x, y = charts.radar_point(1, 4, 0.5, 0, 0, 10)
    assert (x, y) == pytest.approx((5, 0))
    assert charts.radar_point(2, 4, 2.0, 0, 0, 10) == pytest.approx((0, 10))  # clipped to 1
    x, y = charts.radar_point(1, 3, 1.0, 0, 0, 1)
    assert math.degrees(math.atan2(y, x)) == pytest.approx(30)


def test_radar_escapes_and_handles_missing_values():
    svg = charts.radar_svg(["R&D <lab>", "b", "c"], [0.3, None, 0.9], title="A&B")
    root = ET.fromstring(svg)
    assert "R&D <lab>" in ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]
    assert root.find(f"{SVG_NS}title").text == "A&B"
    with pytest.raises(ValueError):
        charts.radar_svg(["a", "b"], [0.1, 0.2])


@pytest.mark.parametrize(("iip", "iep"), [(0.0, 0.0), (1.0, 1.0), (0.3, 0.8), (0.75, 0.2)])
def test_quadrant_places_the_firm(iip, iep):
    g = charts.QuadrantGeometry(left=50, top=10, side=200)
    svg = ET.fromstring(charts.quadrant_svg(iip, iep, 0.41, target=(0.61, 0.61), after=(0.7, 0.9),
                                            point_label="A&B <Wines>", geometry=g,
                                            labels={"neither": "Ni l'un <ni> l'autre"}))
    point = svg.find(f"{SVG_NS}circle[@class='firm']")
    assert (float(point.get("cx")), float(point.get("cy"))) == pytest.approx((50 + 200 * iip, 10 + 200 * (1 - iep)), abs=0.06)
    target = svg.find(f"{SVG_NS}rect[@class='target']")
    assert float(target.get("x")) == pytest.approx(50 + 200 * 0.61, abs=0.06)
    assert float(target.get("y")) + float(target.get("height")) == pytest.approx(10 + 200 * 0.39, abs=0.06)
    texts = " ".join("".join(t.itertext()) for t in svg.iter(f"{SVG_NS}text"))
    assert "A&B" in texts and "<ni>" in texts


def test_quadrant_without_indices():
    svg = ET.fromstring(charts.quadrant_svg(None, 0.5, 0.41))
    assert svg.find(f"{SVG_NS}circle[@class='firm']") is None


def test_gauge_marks_value_and_class():
    svg = ET.fromstring(charts.gauge_svg(0.5, [0.61, 0.41, 0.29, 0.0], width=212))
    marker = svg.find(f"{SVG_NS}polygon[@class='marker']")
    tip_x = float(marker.get("points").split()[-1].split(",")[0])
    assert tip_x == pytest.approx(6 + 0.5 * 200, abs=0.06)
    fills = [r.get("fill") for r in svg.iter(f"{SVG_NS}rect")]
    assert charts.CLASS_COLORS[1] in fills  # the preactive zone in full colour
    assert charts.CLASS_COLORS[0] not in fills


def test_class_of():
    bounds = [0.61, 0.41, 0.29, 0.0]
    assert [charts.class_of(v, bounds) for v in (1.0, 0.61, 0.6099999999, 0.41, 0.3, 0.0)] == [0, 0, 0, 1, 2, 3]
    assert charts.class_of(None, bounds) is None


# --- PDF ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini_pdf_text(mini) -> str:
    """The mini report with its action plan, rendered to PDF ONCE and read back (one WeasyPrint run)."""
    if not HAVE_WEASYPRINT:
        pytest.skip("WeasyPrint (or its Pango library) is not installed")
    import pypdf  # a test dependency (pyproject.toml)

    result = mini_result(mini, "fr", name="Domaine Test & Fils")
    pdf = render_pdf(result, mini, plan=_mini_plan(mini, result))
    assert pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_pdf(mini_pdf_text):
    assert "Domaine Test & Fils" in mini_pdf_text
    assert "0,42" in mini_pdf_text


def test_pdf_without_weasyprint(mini, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes `import weasyprint` fail
    with pytest.raises(RuntimeError, match=r"pip install innexport\[pdf\].*Pango"):
        render_pdf(mini_result(mini, "fr"), mini)


# --- the real framework, on the examples ----------------------------------------------------------------


def test_examples_html(example_results):
    assert len(example_results) >= len(EXAMPLES) > 0
    for stem, fw, result in example_results:
        html = render_html(result, fw)
        text = visible_text(html)
        assert result.firm.name in text, stem
        for name in ("iip", "iep", "iiep"):
            assert i18n.translator(result.lang).num(result.indices[name].value) in text, stem
        top = result.priorities[0]
        assert fw.activity_by_id[top.activity].name[result.lang] in text, stem
        assert len(svgs(html)) == 5, stem  # 3 gauges, the quadrant and the radar
        assert not re.search(r"\b(report|index|tag|quadrant)\.[a-z_]+", text), stem
        for source in fw.sources[:3]:
            assert source.citation.split(",")[0] in text


def test_examples_pdf(example_results, example_pdfs):
    import pypdf  # a test dependency (pyproject.toml)

    assert len(example_pdfs) == len(example_results)
    for (stem, _fw, result), pdf in zip(example_results, example_pdfs, strict=True):
        assert pdf.startswith(b"%PDF"), stem
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        first = reader.pages[0].extract_text()
        assert result.firm.name in first, stem
        assert i18n.translator(result.lang).num(result.indices["iiep"].value) in first, stem


# --- the action plan in the report ----------------------------------------------------------------------


def _mini_plan(fw, result):
    from innexport.support.plans import build_plan, update_action

    plan = build_plan(result, fw, start=dt.date(2027, 1, 4), owner="Claire", created_on=dt.date(2026, 11, 23))
    q3 = plan.action("q3").model_copy(update={"programmes": ["fr_x", "fr_y"]})
    q3 = update_action(q3, {"status": "done", "chosen": ["fr_y"]}, today=dt.date(2027, 1, 20))
    return plan.model_copy(update={"actions": [q3, plan.action("q5")],
                                   "programme_names": {"fr_x": "Programme X", "fr_y": "Programme Y"}})


def test_report_without_plan_has_no_plan_section(mini):
    html = render_html(mini_result(mini, "fr"), mini)
    assert 'class="action-plan"' not in html and "Plan d'action" not in html


def test_report_lists_the_action_plan(mini):
    result = mini_result(mini, "fr")
    html = render_html(result, mini, plan=_mini_plan(mini, result), generated_on=dt.date(2027, 3, 6))
    section = re.search(r'<section class="action-plan">.*?</section>', html, flags=re.S).group(0)
    assert html.index('<section class="next-class">') < html.index(section) < html.index('<section class="activity-scores">')
    text = " ".join(visible_text(section).split())
    # (no-break spaces joined as spaces)
    assert text.startswith("Plan d'action Les actions décidées à partir de ces priorités, avec leur responsable, "
                           "leur échéance et les programmes d'appui retenus. Actions réalisées : 1 sur 2 (50 %).")
    rows = [" ".join(visible_text(r).split()) for r in re.findall(r"<tr.*?</tr>", section, flags=re.S)]
    assert rows == [
        "Action Responsable Échéance Statut Programmes retenus",
        "Priorité 1 · Innovation innovation",
        "Reco 3 Claire 3 février 2027 Réalisée le 20 janvier 2027 Programme Y",
        "Priorité 2 · Export export",
        "Reco 5 Claire 5 mars 2027 en retard À faire –",
    ]


def test_report_plan_in_english_and_spanish(mini):
    for lang, expected in (("en", ["Action plan", "Actions done: 1 of 2 (50%)", "Done", "on 20 January 2027"]),
                           ("es", ["Plan de acción", "Acciones realizadas: 1 de 2 (50\u00a0%)", "Realizada",
                                   "el 20 de enero de 2027"])):
        result = mini_result(mini, lang)
        from innexport.support.plans import build_plan, update_action

        plan = build_plan(result, mini, start=dt.date(2027, 1, 4), lang=lang)
        plan = plan.model_copy(update={"actions": [update_action(plan.actions[0], {"status": "done"},
                                                                  today=dt.date(2027, 1, 20)), *plan.actions[1:]]})
        text = visible_text(render_html(result, mini, plan=plan))
        for words in expected:
            assert words in text, (lang, words)


def test_report_refuses_a_plan_of_another_framework(mini):
    result = mini_result(mini, "fr")
    plan = _mini_plan(mini, result).model_copy(update={"content_hash": "sha256:" + "0" * 64})
    with pytest.raises(ReportError, match="action plan was made with the framework"):
        render_html(result, mini, plan=plan)


def test_pdf_with_the_action_plan(mini_pdf_text):
    text = " ".join(mini_pdf_text.split())
    assert "Plan d'action" in text and "Reco 3 Claire 3 février 2027 Réalisée" in text and "Programme Y" in text
