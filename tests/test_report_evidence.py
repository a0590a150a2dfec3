"""The report shows the evidence of a result (issue 12): intervals and class stability, where the
respondents disagree, the advisor's validation, and the sensitivity to the weights.

The result is a real diagnostic of the mini framework (tests/fixtures/mini.yaml: IIP 0.42, IEP 0.67,
IIEP 0.46, first priority "Innovation") with hand-made evidence put on it, so every number the
report prints is known in advance; the respondents' ids look like names, to show that none of them
ever reaches the report (it is shared with the firm).
"""

from __future__ import annotations

import datetime as dt
import html as html_module
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innexport.core.assessment import (
    ActivityDisagreementOut,
    AnswerSheet,
    DisagreementOut,
    FirmResult,
    IntervalOut,
    QuestionDisagreementOut,
    RespondentOut,
    UncertaintyOut,
    ValidationOut,
    WeightRangeOut,
    diagnose,
)
from innexport.core.uncertainty import STABLE
from innexport.files.frameworks import load_framework
from innexport.rendering import charts, i18n
from innexport.rendering.report import render_html, render_pdf

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
SVG_NS = "{http://www.w3.org/2000/svg}"
ANSWERS = {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}
IDS = ("Marie Dupont", "jp.export-42", "Ana Ríos")
"""The respondents' ids: none may appear in a report."""
EVIDENCE = ("respondents", "disagreement", "validation", "uncertainty", "sensitivity")


@pytest.fixture(scope="module")
def mini():
    return load_framework(MINI)


def plain(fw, lang: str) -> FirmResult:
    """The mini firm's result WITHOUT any evidence (whatever diagnose computes by default)."""
    sheet = AnswerSheet(firm={"id": "f1", "name": "Domaine Test", "country": "FR"}, framework="mini", answers=ANSWERS,
                        comments={"q2": f"{IDS[0]}: Mostly with our importer\n{IDS[1]}: only in Spain"},
                        assessed_on=dt.date(2025, 3, 12), assessor="M. Dupont")
    result = diagnose(fw, [sheet], lang)[0]
    indices = {k: v.model_copy(update={"interval": None, "class_stability": None}) for k, v in result.indices.items()}
    priorities = [p.model_copy(update={"top_probability": None}) for p in result.priorities]
    return result.model_copy(update={"indices": indices, "priorities": priorities,
                                     **dict.fromkeys(EVIDENCE[1:]), "respondents": []})


def evidenced(fw, lang: str) -> FirmResult:
    """The mini firm's result with every piece of evidence, made by hand."""
    result = plain(fw, lang)
    assert [round(result.indices[k].value, 2) for k in ("iip", "iep", "iiep")] == [0.42, 0.67, 0.46]
    intervals = {"iip": (0.35, 0.55, 0.62), "iep": (0.60, 0.72, 0.97), "iiep": (0.40, 0.52, STABLE)}
    indices = {k: v.model_copy(update={"interval": IntervalOut(low=intervals[k][0], high=intervals[k][1], level=0.9),
                                       "class_stability": intervals[k][2]})
               for k, v in result.indices.items()}
    assert [p.activity for p in result.priorities[:2]] == ["a_inn", "a_exp"]
    probabilities = {1: 0.87, 2: 0.5}
    priorities = [p.model_copy(update={"top_probability": probabilities.get(p.rank)}) for p in result.priorities]
    who = dict(zip(IDS, ("yes", "no", "yes"), strict=True))
    disagreement = DisagreementOut(
        questions=[
            QuestionDisagreementOut(question="q1", activity="a_joint", respondents=3, range=1.0, agreement=0.0, answers=who),
            QuestionDisagreementOut(question="q2", activity="a_joint", respondents=3, range=0.333333, agreement=0.75,
                                    answers={IDS[0]: "often"}),
            QuestionDisagreementOut(question="q3", activity="a_inn", respondents=3, range=0.0, agreement=1.0),
            QuestionDisagreementOut(question="q4", activity="a_exp", respondents=1, range=None, agreement=None),
            QuestionDisagreementOut(question="q5", activity="a_exp", respondents=2, range=0.666667, agreement=0.75),
        ],
        activities=[
            ActivityDisagreementOut(activity="a_joint", range=0.5, agreement=0.4),
            ActivityDisagreementOut(activity="a_inn", range=0.0, agreement=1.0),
            ActivityDisagreementOut(activity="a_exp", range=0.25, agreement=0.9),
        ],
    )
    return result.model_copy(update={
        "indices": indices, "priorities": priorities,
        "respondents": [RespondentOut(id=IDS[0], role="director", answered=5, dont_know=0),
                        RespondentOut(id=IDS[1], role="export_manager", answered=4, dont_know=1),
                        RespondentOut(id=IDS[2], role="rd_lead", answered=3, dont_know=0)],
        "disagreement": disagreement,
        "validation": ValidationOut(validated=2, corrected=1, self_assessed=2, by=["Claire Martin", "Paul Roy"],
                                    states={"q1": "validated", "q3": "corrected", "q4": "validated"}),
        "uncertainty": UncertaintyOut(draws=1000, level=0.9, seed=42, sources=["unanswered", "respondents"],
                                      unanswered_from="peers"),
        "sensitivity": [
            WeightRangeOut(dimension="d1", weight=0.6, classes={"iip": (0.5, 0.8), "iep": (0.0, 1.0), "iiep": (0.55, 0.7)},
                           priority=(0.3, 0.9)),
            WeightRangeOut(dimension="d2", weight=0.4, classes={"iip": (0.2, 0.5), "iep": None, "iiep": (0.3, 0.45)},
                           priority=None),
        ],
    })


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, spaces (no-break ones too) collapsed."""
    body = re.sub(r"<style.*?</style>", " ", fragment, flags=re.S)
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def section(html: str, css_class: str) -> str:
    found = re.findall(rf'<section class="{css_class}">.*?</section>', html, flags=re.S)
    assert len(found) == 1, css_class
    return found[0]


def rows(fragment: str, table_class: str) -> list[str]:
    table = re.search(rf'<table class="[^"]*\b{table_class}\b[^"]*">.*?</table>', fragment, flags=re.S).group(0)
    return [text_of(r) for r in re.findall(r"<tr.*?</tr>", table, flags=re.S)]


# --- each section, with its numbers, in each language ------------------------------------------------------

CERTAINTY = {
    "en": ["IIP 0.42 Preactive 0.35 to 0.55 62% Borderline", "IEP 0.67 Proactive 0.60 to 0.72 97% Stable",
           "IIEP 0.46 Preactive 0.40 to 0.52 90% Stable"],
    "fr": ["IIP 0,42 Préactive 0,35 à 0,55 62 % À la limite", "IEP 0,67 Proactive 0,60 à 0,72 97 % Stable",
           "IIEP 0,46 Préactive 0,40 à 0,52 90 % Stable"],
    "es": ["IIP 0,42 Preactiva 0,35 a 0,55 62 % En el límite", "IEP 0,67 Proactiva 0,60 a 0,72 97 % Estable",
           "IIEP 0,46 Preactiva 0,40 a 0,52 90 % Estable"],
}
PRIORITIES = {"en": ["1 Innovation 87%", "2 Export 50%"], "fr": ["1 Innovation 87 %", "2 Export 50 %"],
              "es": ["1 Innovación 87 %", "2 Exportación 50 %"]}
CARD = {"en": ("90% interval: 0.35 to 0.55", "Borderline: class kept in 62% of the draws"),
        "fr": ("Intervalle à 90 % : 0,35 à 0,55", "À la limite : classe conservée dans 62 % des tirages"),
        "es": ("Intervalo al 90 %: 0,35 a 0,55", "En el límite: clase mantenida en el 62 % de las simulaciones")}
METHOD = {
    "en": "1,000 draws (random seed 42); in each one, each unanswered or “don't know” question gets an answer drawn "
          "from those of comparable firms and the respondents are drawn again with replacement",
    "fr": "1 000 tirages (graine aléatoire 42) ; à chaque tirage, chaque question sans réponse ou « je ne sais pas » "
          "reçoit une réponse tirée parmi celles d'entreprises comparables et les répondants sont tirés de nouveau",
    "es": "1.000 simulaciones (semilla aleatoria 42); en cada una, cada pregunta sin respuesta o «no sé» recibe una "
          "respuesta extraída de las de empresas comparables y los encuestados se vuelven a sortear",
}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_intervals_and_stability(mini, lang):
    result = evidenced(mini, lang)
    html = render_html(result, mini)
    part = section(html, "certainty")
    assert html.index('<section class="summary">') < html.index(part)
    assert rows(part, "certainty-table")[1:] == CERTAINTY[lang]
    assert rows(part, "certainty-priorities")[1:] == PRIORITIES[lang]
    assert METHOD[lang] in text_of(part)
    # the index cards: the interval and the verdict under each gauge
    cards = text_of(section(html, "summary"))
    assert all(words in cards for words in CARD[lang])


def test_stable_is_the_one_threshold(mini):
    """At STABLE the class is stable, just under it borderline (core.uncertainty.STABLE, not a copy)."""
    result = evidenced(mini, "en")
    for share, word in ((STABLE, "Stable"), (STABLE - 0.001, "Borderline")):
        indices = {**result.indices, "iiep": result.indices["iiep"].model_copy(update={"class_stability": share})}
        table = rows(section(render_html(result.model_copy(update={"indices": indices}), mini), "certainty"),
                     "certainty-table")
        assert table[3].endswith(word), table[3]


def test_gauges_have_whiskers_at_the_interval(mini):
    html = render_html(evidenced(mini, "fr"), mini)
    gauges = [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
              if 'class="chart gauge"' in m]
    assert len(gauges) == 3  # the same charts as without intervals: the gauges carry the whiskers
    for svg, (low, high) in zip(gauges, [(0.35, 0.55), (0.60, 0.72), (0.40, 0.52)], strict=True):
        whiskers = svg.findall(f"{SVG_NS}g[@class='interval']/{SVG_NS}line[@class='whisker']")
        across = [w for w in whiskers if w.get("y1") == w.get("y2")]
        assert len(whiskers) == 3 and len(across) == 1
        x1, x2 = float(across[0].get("x1")), float(across[0].get("x2"))
        assert (x1, x2) == pytest.approx((charts.gauge_x(low), charts.gauge_x(high)), abs=0.06)
        assert (x1, x2) == pytest.approx((6 + 188 * low, 6 + 188 * high), abs=0.06)  # 200 px wide, 6 px margins
        # a text equivalent: the title names the index, the description gives the interval and the verdict
        assert svg.find(f"{SVG_NS}title").text.startswith(("IIP", "IEP", "IIEP"))
        assert "Intervalle à 90" in svg.find(f"{SVG_NS}desc").text


unit = st.floats(min_value=0.0, max_value=1.0)


@given(value=unit, low=unit, high=unit, width=st.sampled_from([120.0, 200.0, 260.0]))
def test_whiskers_span_the_interval_on_any_gauge(value, low, high, width):
    """Whatever the interval (given in either order), the whiskers run from its low to its high end on
    the gauge's own scale, the gauge's value marker stays, and the chart is valid XML."""
    svg = ET.fromstring(charts.interval_gauge_svg(value, low, high, [0.61, 0.41, 0.29, 0.0], width=width,
                                                  title="IIP & <x>", description="a < b"))
    across, left_cap, right_cap = svg.findall(f"{SVG_NS}g[@class='interval']/{SVG_NS}line[@class='whisker']")
    lo, hi = min(low, high), max(low, high)
    assert float(across.get("x1")) == pytest.approx(6 + lo * (width - 12), abs=0.06)
    assert float(across.get("x2")) == pytest.approx(6 + hi * (width - 12), abs=0.06)
    assert left_cap.get("x1") == left_cap.get("x2") == across.get("x1")
    assert right_cap.get("x1") == right_cap.get("x2") == across.get("x2")
    assert svg.find(f"{SVG_NS}polygon[@class='marker']") is not None
    assert svg.find(f"{SVG_NS}desc").text == "a < b" and svg.get("class") == "chart gauge"


DISAGREEMENT = {
    "en": {"intro": "3 respondents answered the questionnaire; for each question, the result keeps their median answer",
           "respondents": ["Director 5 0", "Export manager 4 1", "R&D lead 3 0"],
           "questions": ["Q1? q1 Joint 3 1.00 0.00", "Q5? q5 Export 2 0.67 0.75", "Q2? q2 Joint 3 0.33 0.75"],
           "activities": ["Joint Strategy 0.50 0.40", "Export Operations 0.25 0.90"]},
    "fr": {"intro": "3 personnes ont répondu au questionnaire ; pour chaque question, le résultat retient leur réponse médiane",
           "respondents": ["Dirigeant 5 0", "Responsable export 4 1", "Responsable R&D 3 0"],
           "questions": ["Q1 ? q1 Conjointe 3 1,00 0,00", "Q5 ? q5 Export 2 0,67 0,75", "Q2 ? q2 Conjointe 3 0,33 0,75"],
           "activities": ["Conjointe Stratégie 0,50 0,40", "Export Opérations 0,25 0,90"]},
    "es": {"intro": "3 personas respondieron el cuestionario; para cada pregunta, el resultado conserva su respuesta mediana",
           "respondents": ["Gerente general 5 0", "Responsable de exportaciones 4 1", "Responsable de I+D 3 0"],
           "questions": ["¿Q1? q1 Conjunta 3 1,00 0,00", "¿Q5? q5 Exportación 2 0,67 0,75",
                         "¿Q2? q2 Conjunta 3 0,33 0,75"],
           "activities": ["Conjunta Estrategia 0,50 0,40", "Exportación Operaciones 0,25 0,90"]},
}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_where_the_team_disagrees(mini, lang):
    """Roles only; the questions whose answers differ, lowest agreement first and, at equal agreement,
    the largest range first (q5 before q2); questions answered alike (q3) or by one person (q4) left out."""
    html = render_html(evidenced(mini, lang), mini)
    part = section(html, "disagreement")
    expected = DISAGREEMENT[lang]
    assert expected["intro"] in text_of(part)
    assert rows(part, "respondents")[1:] == expected["respondents"]
    assert rows(part, "disagree-questions")[1:] == expected["questions"]
    assert rows(part, "disagree-activities")[1:] == expected["activities"]
    assert "r_wg" in text_of(part) and "James" in text_of(part)


def test_at_most_five_questions_and_none_when_all_agree(mini):
    result = evidenced(mini, "en")
    many = [QuestionDisagreementOut(question=q, activity="a_joint", respondents=2, range=0.1 * k, agreement=0.5)
            for k, q in enumerate(["q1", "q2", "q3", "q4", "q5", "q1"], start=1)]
    d = result.disagreement.model_copy(update={"questions": many})
    part = section(render_html(result.model_copy(update={"disagreement": d}), mini), "disagreement")
    assert [r.split()[1] for r in rows(part, "disagree-questions")[1:]] == ["q1", "q5", "q4", "q3", "q2"]
    alike = result.disagreement.model_copy(update={"questions": [q.model_copy(update={"range": 0.0, "agreement": 1.0})
                                                                for q in result.disagreement.questions]})
    part = section(render_html(result.model_copy(update={"disagreement": alike}), mini), "disagreement")
    assert "No question received different answers from the respondents." in text_of(part)
    assert "disagree-questions" not in part


def test_no_respondent_id_or_name_in_the_report(mini):
    for lang in ("en", "fr", "es"):
        result = evidenced(mini, lang)
        html = render_html(result, mini)
        for who in IDS:
            assert who not in html and html_module.escape(who) not in html, (lang, who)
        assert "Dupont:" not in html and "jp.export" not in html
    # the consolidated comments keep what was said, under the speaker's role
    annex = section(render_html(evidenced(mini, "fr"), mini), "annex")
    assert "Dirigeant : Mostly with our importer" in text_of(annex) and "Responsable export : only in Spain" in text_of(annex)
    assert re.search(r"Mostly with our importer\W*<br>\W*Responsable export", annex)  # one line each
    # the result itself is untouched (the advisor's copy keeps who said what)
    assert evidenced(mini, "fr").disagreement.questions[0].answers[IDS[0]] == "yes"


def test_two_respondents_of_one_role_are_numbered(mini):
    result = evidenced(mini, "en")
    others = [r.model_copy(update={"role": "other"}) for r in result.respondents[:2]] + result.respondents[2:]
    html = render_html(result.model_copy(update={"respondents": others}), mini)
    assert rows(section(html, "disagreement"), "respondents")[1:] == ["Other 1 5 0", "Other 2 4 1", "R&D lead 3 0"]
    assert "Other 1 · Other 2 · R&amp;D lead" in html  # the header's respondents
    assert "Other 1: Mostly with our importer" in text_of(html)


VALIDATION = {
    "en": "2 answers validated and 1 corrected by Claire Martin and Paul Roy; 2 answers self-assessed.",
    "fr": "2 réponses validées et 1 corrigée par Claire Martin et Paul Roy ; 2 réponses auto-évaluées.",
    "es": "2 respuestas validadas y 1 corregida por Claire Martin y Paul Roy; 2 respuestas autoevaluadas.",
}
MARKS = {"en": ("not validated", "corrected by the advisor"), "fr": ("non validée", "corrigée par le conseiller"),
         "es": ("no validada", "corregida por el asesor")}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_validation_in_the_header_and_the_annex(mini, lang):
    html = render_html(evidenced(mini, lang), mini)
    assert VALIDATION[lang] in text_of(html[:html.index("</header>")])
    annex = html[html.index('<section class="annex">'):]
    marks = dict(re.findall(r'<span class="qid mono">(q\d)</span>(?: <span class="review review-(\w+)">)?', annex))
    assert marks == {"q1": "", "q2": "self", "q3": "corrected", "q4": "", "q5": "self"}
    self_text, corrected_text = MARKS[lang]
    assert text_of(annex).count(self_text) == 2 + 1  # two marks and the legend
    assert corrected_text in text_of(annex)


def test_validation_sentences_by_what_was_reviewed(mini):
    result = evidenced(mini, "fr")

    def sentence(**counts) -> str:
        v = result.validation.model_copy(update=counts)
        html = render_html(result.model_copy(update={"validation": v}), mini)
        return text_of(re.search(r"Validation</td><td>(.*?)</td>", html).group(1))

    assert sentence(validated=1, corrected=0, self_assessed=4) == \
        "1 réponse validée par Claire Martin et Paul Roy ; 4 réponses auto-évaluées."
    assert sentence(validated=0, corrected=2, self_assessed=3, by=[]) == \
        "2 réponses corrigées par un conseiller ; 3 réponses auto-évaluées."
    assert sentence(validated=5, corrected=0, self_assessed=0, by=["Ana"]) == \
        "5 réponses validées par Ana ; 0 réponse auto-évaluée."
    # names are escaped once, as any text of the page
    assert sentence(validated=1, corrected=0, self_assessed=4, by=["Jeanne d'Arc", "R&D <Conseil>"]) == \
        "1 réponse validée par Jeanne d'Arc et R&D <Conseil> ; 4 réponses auto-évaluées."


SENSITIVITY = {
    "en": ["Strategy 60.0% 50.0% to 80.0% any weight 55.0% to 70.0% 30.0% to 90.0%",
           "Operations 40.0% 20.0% to 50.0% – 30.0% to 45.0% –"],
    "fr": ["Stratégie 60,0 % 50,0 % à 80,0 % tout poids 55,0 % à 70,0 % 30,0 % à 90,0 %",
           "Opérations 40,0 % 20,0 % à 50,0 % – 30,0 % à 45,0 % –"],
    "es": ["Estrategia 60,0 % 50,0 % a 80,0 % cualquier peso 55,0 % a 70,0 % 30,0 % a 90,0 %",
           "Operaciones 40,0 % 20,0 % a 50,0 % – 30,0 % a 45,0 % –"],
}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_sensitivity_annex(mini, lang):
    html = render_html(evidenced(mini, lang), mini)
    annex = section(html, "annex")
    table = rows(annex, "sensitivity")
    assert table[1] == "IIP IEP IIEP"
    assert table[2:] == SENSITIVITY[lang]
    first = {"en": "Innovation", "fr": "Innovation", "es": "Innovación"}[lang]
    assert f"({first})" in text_of(annex)  # the first priority, named in the introduction


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_one_language_per_report(mini, lang):
    """No English text of the catalogue in a French or Spanish report with every section, and no
    message key or unfilled placeholder left."""
    text = text_of(render_html(evidenced(mini, lang), mini))
    english = [texts["en"] for key, texts in i18n.catalogue().items()
               if key.startswith("report.") and "{" not in texts["en"] and len(texts["en"]) > 8
               and texts["en"] != texts[lang] and texts["en"] in text]
    assert english == []
    assert not re.search(r"\breport\.[a-z_]+\.[a-z_]+", text) and not re.search(r"\{[a-z_]+\}", text)


# --- without evidence: the report of today ------------------------------------------------------------------


def test_a_result_without_evidence_renders_as_before(mini):
    for lang in ("en", "fr", "es"):
        html = render_html(plain(mini, lang), mini)
        for css in ("certainty", "disagreement", "sensitivity", "review", "interval", "ci"):
            assert f'class="{css}' not in html, (lang, css)
        assert "<desc>" not in html
        header = text_of(html[:html.index("</header>")])
        assert "Validation" not in header and "Respondents" not in header
    # and the evidenced report is the plain one plus its sections: the rest is unchanged
    with_evidence = render_html(evidenced(mini, "en"), mini, generated_on=dt.date(2026, 1, 2))
    without = render_html(plain(mini, "en"), mini, generated_on=dt.date(2026, 1, 2))
    assert section(with_evidence, "priorities") == section(without, "priorities")
    assert section(with_evidence, "activity-scores") == section(without, "activity-scores")


def test_only_the_evidence_present_is_shown(mini):
    full = evidenced(mini, "en")
    only_validation = plain(mini, "en").model_copy(update={"validation": full.validation})
    html = render_html(only_validation, mini)
    assert VALIDATION["en"] in text_of(html)
    assert '<section class="certainty">' not in html and '<section class="disagreement">' not in html
    only_intervals = full.model_copy(update={"respondents": [], "disagreement": None, "validation": None,
                                             "uncertainty": None, "sensitivity": None})
    html = render_html(only_intervals, mini)
    part = section(html, "certainty")
    assert "of the simulated draws" in text_of(part) and "How the draws were made" not in text_of(part)
    assert '<section class="disagreement">' not in html and 'class="sensitivity"' not in html
    # one respondent: named in the header (by role), but no team to disagree
    alone = plain(mini, "fr").model_copy(update={"respondents": full.respondents[:1]})
    html = render_html(alone, mini)
    assert "Répondants Dirigeant" in text_of(html[:html.index("</header>")])
    assert '<section class="disagreement">' not in html and IDS[0] not in html


# --- PDF ------------------------------------------------------------------------------------------------------


def test_pdf_is_tagged_and_shows_the_evidence(mini):
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed")
    import pypdf  # a test dependency (pyproject.toml)

    try:
        pdf = render_pdf(evidenced(mini, "es"), mini)
    except RuntimeError as exc:  # WeasyPrint installed without its Pango library
        pytest.skip(str(exc))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"].value is True and root["/Lang"] == "es"
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for words in ("Fiabilidad de los resultados", "Donde su equipo no coincide", "Sensibilidad a los pesos",
                  "2 respuestas validadas y 1 corregida por Claire Martin y Paul Roy",
                  "Responsable de exportaciones", "En el límite"):
        assert words in text, words
    assert not any(who in text for who in IDS)
