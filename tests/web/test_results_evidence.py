"""The results page shows a result's evidence (issue 12) when the result has it, and nothing of it
when it has not: the indices' intervals and class stability ("stable" from STABLE on), the first
priorities' stability, where the respondents disagree (with who said what), the advisor's
validation; the links to the "what if" page and the organisation benchmark. In a browser, at 390 px:
no sideways scrolling, no serious accessibility violation, and the "what if" page updating live."""

from __future__ import annotations

import datetime as dt
import html
import os
import re

import pytest
from django.urls import reverse

from innexport.core.assessment import (
    ActivityDisagreementOut,
    DisagreementOut,
    FirmResult,
    IntervalOut,
    QuestionDisagreementOut,
    RespondentOut,
    UncertaintyOut,
    ValidationOut,
)
from innexport.core.uncertainty import STABLE
from innexport.rendering import i18n
from innexport.web import services
from innexport.web.models import Assessment
from innexport.web.whatif import field_name

from .browser import launch, screenshot
from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def base_framework(frameworks):
    return next(f for f in frameworks if f.modules == [])


def complete(org, framework) -> Assessment:
    """A completed diagnostic: every question at the middle level of its scale but the first
    question, at the top."""
    a = Assessment.objects.create(organisation=org.organisation, firm=org.firm, framework=framework, lang="en",
                                  assessed_on=dt.date(2025, 5, 6), created_by=org.advisor)
    fw = services.framework_of(framework)
    for k, o in enumerate(fw.observables):
        levels = fw.scale_by_id[o.scale].levels
        services.save_answer(a, o.id, levels[-1 if k == 0 else len(levels) // 2].code)
    services.score(a, complete=True)
    a.refresh_from_db()
    return a


def three(fw) -> list:
    """The first three questions whose scale has at least three levels."""
    return [o for o in fw.observables if len(fw.scale_by_id[o.scale].levels) >= 3][:3]


def plain(result: FirmResult) -> FirmResult:
    """``result`` without any evidence (as a result kept before issue 12, or with draws=0)."""
    indices = {k: v.model_copy(update={"interval": None, "class_stability": None}) for k, v in result.indices.items()}
    priorities = [p.model_copy(update={"top_probability": None}) for p in result.priorities]
    return result.model_copy(update={"indices": indices, "priorities": priorities, "respondents": [],
                                     "disagreement": None, "validation": None, "uncertainty": None,
                                     "sensitivity": None})


def keep(assessment: Assessment, result: FirmResult) -> None:
    Assessment.objects.filter(pk=assessment.pk).update(result=result.model_dump(mode="json", by_alias=True))


@pytest.fixture
def evidenced(org_a, base_framework) -> tuple[Assessment, FirmResult]:
    """A completed diagnostic whose kept result has every piece of evidence, made by hand."""
    a = complete(org_a, base_framework)
    fw = services.framework_of(base_framework)
    result = plain(FirmResult.model_validate(a.result))
    q1, q2, q3 = (o.id for o in three(fw))
    act1 = fw.activities[0].id
    l1, l2, l3 = (fw.scale_by_id[o.scale].levels for o in three(fw))
    indices = dict(result.indices)
    indices["iip"] = indices["iip"].model_copy(update={
        "interval": IntervalOut(low=0.66, high=0.8, level=0.9), "class_stability": STABLE})  # exactly STABLE: stable
    indices["iep"] = indices["iep"].model_copy(update={
        "interval": IntervalOut(low=0.58, high=0.79, level=0.9), "class_stability": 0.62})
    top = {p.activity for p in result.top_priorities()}
    priorities = [p.model_copy(update={"top_probability": 0.87 if p.activity in top else None})
                  for p in result.priorities]
    answered = len(result.answers)
    result = result.model_copy(update={
        "indices": indices, "priorities": priorities,
        "respondents": [RespondentOut(id="Ana Pérez", role="director", answered=answered - 2, dont_know=2),
                        RespondentOut(id="Luis Soto", role="export_manager", answered=answered, dont_know=0)],
        "disagreement": DisagreementOut(
            questions=[
                QuestionDisagreementOut(question=q2, activity=act1, respondents=2, range=0.25, agreement=0.72,
                                        answers={"Ana Pérez": l2[1].code, "Luis Soto": l2[2].code}),
                QuestionDisagreementOut(question=q1, activity=act1, respondents=2, range=1.0, agreement=0.0,
                                        answers={"Ana Pérez": l1[0].code, "Luis Soto": "dk"}),
                QuestionDisagreementOut(question=q3, activity=act1, respondents=2, range=0.0, agreement=1.0,
                                        answers={"Ana Pérez": l3[0].code, "Luis Soto": l3[0].code}),
            ],
            activities=[ActivityDisagreementOut(activity=act1, range=0.4, agreement=0.35)]),
        "uncertainty": UncertaintyOut(draws=1000, level=0.9, seed=7, sources=["unanswered", "respondents"],
                                      unanswered_from="peers"),
        "validation": ValidationOut(validated=2, corrected=1, self_assessed=answered - 3, by=["Marie Curie", "Paul Dupont"],
                                    states={q1: "validated", q2: "validated", q3: "corrected"}),
    })
    keep(a, result)
    a.refresh_from_db()
    return a, result


def page_of(client, assessment: Assessment) -> str:
    response = client.get(reverse("assessment-results", args=[assessment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, ident: str) -> str:
    match = re.search(rf'<section class="card evidence" id="{ident}".*?</section>', page, re.S)
    assert match, ident
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


# --- shown when present ---------------------------------------------------------------------------------


def test_intervals_and_class_stability(org_a, evidenced) -> None:
    a, result = evidenced
    page = page_of(org_a.client(), a)
    text = section(page, "intervals")
    iip, iep = result.indices["iip"], result.indices["iep"]
    iip_cls = {"proactive": "Proactive", "preactive": "Preactive", "reactive": "Reactive", "passive": "Passive"}
    assert f"between 0.66 and 0.80 in 90% of the draws. Class {iip_cls[iip.class_]} in 90% of the draws: stable." in text
    assert f"between 0.58 and 0.79 in 90% of the draws. Class {iip_cls[iep.class_]} in 62% of the draws: borderline." in text
    assert "IIEP" not in text  # no interval computed for it
    assert ("1,000 draws, varying the unanswered and “don't know” questions, drawn from the organisation's other "
            "diagnostics and the respondents (resampled).") in text
    bars = re.findall(r'<svg class="interval-bar".*?</svg>', page, re.S)
    assert len(bars) == 2 and all('aria-hidden="true"' in b for b in bars)
    # the whiskers span the interval (percent of the 0-1 scale), the point sits at the value
    assert 'x1="66.0" x2="80.0" y1="7" y2="7"' in bars[0]
    assert f'class="point" x1="{round(iip.value * 100, 2)}"' in bars[0]
    assert re.search(r'<span class="stability stable">stable</span>', page)
    assert re.search(r'<span class="stability borderline">borderline</span>', page)


def test_first_priorities_with_their_probability(org_a, evidenced) -> None:
    a, result = evidenced
    text = section(page_of(org_a.client(), a), "priority-stability")
    fw = services.framework_of(a.framework)
    first = result.top_priorities()
    assert len(first) == 5
    assert text.count("among the first 5 in 87% of the draws") == 5
    names = [fw.activity_by_id[p.activity].name["en"] for p in first]
    assert [text.index(n) for n in names] == sorted(text.index(n) for n in names)


def test_where_the_team_disagrees_with_who_said_what(org_a, evidenced) -> None:
    a, _result = evidenced
    fw = services.framework_of(a.framework)
    page = page_of(org_a.client(), a)
    text = section(page, "disagreement")
    assert "Ana Pérez Director" in text and "Luis Soto Export manager" in text
    q1, q2, q3 = three(fw)
    l1, l2 = fw.scale_by_id[q1.scale].levels, fw.scale_by_id[q2.scale].levels
    # the least agreed first (r_wg 0.00 before 0.72); full agreement (q3) is not a disagreement
    assert text.index(q1.question["en"]) < text.index(q2.question["en"])
    assert q3.question["en"] not in text
    assert "Agreement 0.00 · range 1.00" in text and "Agreement 0.72 · range 0.25" in text
    assert f"Ana Pérez {l1[0].label['en']} Luis Soto Don't know" in text  # who (dt) said what (dd)
    assert f"Ana Pérez {l2[1].label['en']} Luis Soto {l2[2].label['en']}" in text
    assert f"{fw.activities[0].name['en']} · Agreement 0.35 · range 0.40" in text


def test_validation_counts_and_unchecked_answers_marked(org_a, evidenced) -> None:
    a, result = evidenced
    fw = services.framework_of(a.framework)
    page = page_of(org_a.client(), a)
    text = section(page, "validation")
    total = len(result.answers)
    assert f"2 of {total} answers validated by Marie Curie and Paul Dupont, 1 corrected; {total - 3} self-assessed" in text
    unchecked = re.search(r'<ul class="small unchecked">.*?</ul>', page, re.S).group(0)
    assert unchecked.count("<li") == total - 3
    q1, _q2, q3 = three(fw)
    assert f'data-question="{q1.id}"' not in unchecked
    assert sum(f'data-question="{o.id}"' in unchecked for o in fw.observables) == total - 3
    assert f"corrected {q3.question['en']}" in text


def test_links_to_what_if_and_benchmark(org_a, evidenced) -> None:
    a, _result = evidenced
    page = page_of(org_a.client(), a)
    assert f'href="{reverse("assessment-whatif", args=[a.pk])}"' in page
    assert f'href="{reverse("assessment-benchmark", args=[a.pk])}"' in page


def test_french_evidence(org_a, evidenced) -> None:
    a, _result = evidenced
    org_a.advisor.membership.language = "fr"
    org_a.advisor.membership.save()
    page = page_of(org_a.client(), a)
    assert "Où votre équipe diverge" in page
    text = section(page, "intervals")
    # the page's spaces are flattened by section(): Babel's no-break space before % too
    ninety, sixty_two = (" ".join(i18n.translator("fr").percent(x).split()) for x in (0.9, 0.62))
    assert i18n.translator("fr").percent(0.9) in page
    assert f"entre 0,66 et 0,80 dans {ninety} des tirages. Classe" in text
    assert f"dans {sixty_two} des tirages : à la limite." in text and f"dans {ninety} des tirages : stable." in text
    assert "2 réponses sur" in section(page, "validation") and "1 corrigée ; " in section(page, "validation")
    assert "Dirigeant" in section(page, "disagreement")


def test_a_result_scored_by_the_services_shows_its_intervals(org_a, base_framework) -> None:
    # every question answered by one respondent, weights fixed: nothing varies, each interval is the
    # value itself and every class is kept in every draw
    a = complete(org_a, base_framework)
    result = FirmResult.model_validate(a.result)
    assert result.uncertainty is not None and result.uncertainty.sources == []
    text = section(page_of(org_a.client(), a), "intervals")
    assert "Nothing varies here: every question has a scored answer from one respondent" in text
    for name in ("iip", "iep", "iiep"):
        assert f"({name.upper()}): {result.indices[name].value:.2f}. Class " in text  # no "between" for no width
    assert text.count("in 100% of the draws: stable.") == 3


# --- hidden when absent ------------------------------------------------------------------------------


def test_a_result_without_evidence_shows_none_of_it(org_a, base_framework) -> None:
    a = complete(org_a, base_framework)
    keep(a, plain(FirmResult.model_validate(a.result)))
    page = page_of(org_a.client(), a)
    assert 'class="card evidence"' not in page
    for words in ("How sure are", "Where your team disagrees", "Checked by an advisor", "interval-bar"):
        assert words not in page
    assert reverse("assessment-whatif", args=[a.pk]) in page  # the what-if needs no evidence


def test_a_draft_has_no_evidence_nor_what_if_link(org_a, assessment) -> None:
    page = page_of(org_a.client(), assessment)
    assert 'class="card evidence"' not in page and reverse("assessment-whatif", args=[assessment.pk]) not in page


def test_another_organisation_gets_404(org_b, evidenced) -> None:
    a, _result = evidenced
    assert org_b.client().get(reverse("assessment-results", args=[a.pk])).status_code == 404


# --- in a browser ---------------------------------------------------------------------------------------

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_pages_fit_are_accessible_and_the_what_if_updates_live(
        live_server, browser, org_a, evidenced) -> None:
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    a, _result = evidenced
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 860})
    page = context.new_page()
    blocked: list[str] = []  # the Content-Security-Policy refuses inline scripts and styles: nothing may trip it
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.on("pageerror", lambda e: blocked.append(str(e)))
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", org_a.advisor.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/firms/")
    axe = axe_module.Axe()
    options = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    problems = []
    for name, url in (("results-evidence", reverse("assessment-results", args=[a.pk])),
                      ("whatif", reverse("assessment-whatif", args=[a.pk]))):
        page.goto(base + url)
        screenshot(page, f"{name}-390")
        if overflow(page) > 1:
            problems.append(f"{url}: scrolls sideways by {overflow(page)} px")
        problems += [f"{url}: {v['id']} {[n['target'] for n in v['nodes'][:3]]}"
                     for v in axe.run(page, options=options).response["violations"] if v["impact"] in ("serious", "critical")]
    assert problems == []
    # live: all the weight on the first dimension (its first question is the only one at the top of
    # its scale, so it scores above the others) → IIEP changes in place, no button pressed
    fw = services.framework_of(a.framework)
    first = fw.dimensions[0].id
    kept_iiep = page.text_content('tr[data-index="iiep"] [data-field="value"]')
    for d in fw.dimensions:
        page.fill(f"#{field_name(d.id)}", "100" if d.id == first else "0")
    page.wait_for_function("v => document.querySelector('tr[data-index=\"iiep\"] [data-field=\"value\"]').textContent !== v",
                           arg=kept_iiep)
    assert f"{field_name(first)}=100" in page.url
    assert page.is_visible(f'input[type=range][data-for="{field_name(first)}"]')
    # a bad weight: the message, the field marked, nothing else changed
    page.fill(f"#{field_name(fw.dimensions[1].id)}", "-5")
    page.wait_for_selector("#whatif-error:not([hidden])")
    assert "cannot be negative" in page.text_content("#whatif-error")
    assert page.get_attribute(f"#{field_name(fw.dimensions[1].id)}", "aria-invalid") == "true"
    assert blocked == []
    context.close()
