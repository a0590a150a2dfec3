"""The "what if" page of the weights: the classes and first priorities under other dimension
weights, exactly as the core computes them; nothing written; bad weights refused (400 naming the
field); another organisation's diagnostic 404; any member, analysts too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from innexport.core.assessment import AnswerSheet, FirmResult, WeightRangeOut, assess, encode
from innexport.core.scoring import ScoringModel
from innexport.web import services
from innexport.web.models import Answer, Assessment, AuditEntry
from innexport.web.whatif import field_name

pytestmark = pytest.mark.django_db

TOP_DIMENSION = "strategy"


@pytest.fixture
def base_framework(frameworks):
    return next(f for f in frameworks if f.modules == [])


@pytest.fixture
def lopsided(org_a, base_framework) -> Assessment:
    """A completed diagnostic of the base framework: the questions of one dimension (strategy) at
    the top of their scales (1.00), all the others at the bottom (0.00)."""
    a = Assessment.objects.create(organisation=org_a.organisation, firm=org_a.firm, framework=base_framework,
                                  lang="en", assessed_on=dt.date(2025, 3, 4), created_by=org_a.advisor)
    fw = services.framework_of(base_framework)
    for d in fw.dimensions:
        for activity in d.activities:
            for o in activity.observables:
                levels = fw.scale_by_id[o.scale].levels
                services.save_answer(a, o.id, levels[-1 if d.id == TOP_DIMENSION else 0].code)
    services.score(a, complete=True)
    a.refresh_from_db()
    return a


def only(fw, weights: dict[str, float]) -> dict[str, str]:
    """The query giving ``weights`` (percent) to the named dimensions and 0 to every other."""
    return {field_name(d.id): str(weights.get(d.id, 0)) for d in fw.dimensions}


def core_classes(assessment: Assessment, weights: dict[str, float]) -> dict[str, str | None]:
    """The threshold classes of the kept answers under ``weights`` (id → weight, summing to 1),
    computed directly with the core."""
    fw = services.framework_of(assessment.framework)
    kept = FirmResult.model_validate(assessment.result)
    model = ScoringModel.from_framework(fw)
    sheet = AnswerSheet(framework=fw.id, firm=kept.firm, answers=kept.answers)
    moved = dataclasses.replace(model, dimension_weights=np.array([weights[d] for d in model.dimension_ids]))
    pop = assess(moved, encode(fw, [sheet], model))
    return {name: (fw.class_ids[k] if k >= 0 else None)
            for name, k in zip(("iip", "iep", "iiep"), pop.classes[0], strict=True)}


def whatif_json(client, assessment: Assessment, query: dict[str, str]):
    return client.get(reverse("assessment-whatif-json", args=[assessment.pk]), query)


# --- the numbers ------------------------------------------------------------------------------------


def test_the_framework_weights_give_the_kept_result(org_a, lopsided) -> None:
    kept = FirmResult.model_validate(lopsided.result)
    data = whatif_json(org_a.client(), lopsided, {}).json()
    assert data["moved"] is False
    assert {ix["id"]: ix["class"] for ix in data["indices"]} == {n: kept.indices[n].class_ for n in ("iip", "iep", "iiep")}
    assert not any(ix["changed"] for ix in data["indices"])
    assert [p["activity"] for p in data["priorities"]] == [p.activity for p in kept.top_priorities()]
    assert abs(sum(data["weights"].values()) - 1) < 1e-6


def test_moving_a_weight_changes_the_class_as_the_core_computes(org_a, lopsided) -> None:
    fw = services.framework_of(lopsided.framework)
    kept = FirmResult.model_validate(lopsided.result)
    assert kept.indices["iiep"].class_ == "passive"  # strategy weighs 1/6 of the framework: IIEP 0.17
    client = org_a.client()
    # every dimension counts in IIEP: with strategy (all at 1.00) at w and the others (0.00) at
    # 1 - w, IIEP is w exactly: 50 % → 0.50, Preactive (0.41 to 0.61); 80 % → 0.80, Proactive
    for percent, iiep, cls in ((50, "0.50", "preactive"), (80, "0.80", "proactive"), (30, "0.30", "reactive")):
        query = {field_name(d.id): "1" for d in fw.dimensions}
        query[field_name(TOP_DIMENSION)] = str(percent * (len(fw.dimensions) - 1) / (100 - percent))
        data = whatif_json(client, lopsided, query).json()
        by_id = {ix["id"]: ix for ix in data["indices"]}
        assert by_id["iiep"]["value"] == iiep and by_id["iiep"]["class"] == cls
        assert by_id["iiep"]["changed"] is True and by_id["iiep"]["kept_class"] == "passive"
        weights = data["weights"]
        assert abs(weights[TOP_DIMENSION] - percent / 100) < 1e-6
        assert {k: v["class"] for k, v in by_id.items()} == {
            k: v or "none" for k, v in core_classes(lopsided, weights).items()}
    # all the weight on strategy: every index scores 1.00 (its only dimension left)
    data = whatif_json(client, lopsided, only(fw, {TOP_DIMENSION: 100})).json()
    assert [(ix["value"], ix["class"]) for ix in data["indices"]] == [("1.00", "proactive")] * 3


def test_moving_a_weight_changes_the_first_priorities(org_a, lopsided) -> None:
    fw = services.framework_of(lopsided.framework)
    kept = FirmResult.model_validate(lopsided.result)
    before = [p["activity"] for p in whatif_json(org_a.client(), lopsided, {}).json()["priorities"]]
    assert before == [p.activity for p in kept.top_priorities()]
    # all the weight on one other dimension: its activities are the only ones whose gap counts
    # (priority = gap × leverage, and the others' leverage is 0), so they lead the list
    other = next(d for d in fw.dimensions if d.id != TOP_DIMENSION and 2 <= len(d.activities) < 5)
    after = whatif_json(org_a.client(), lopsided, only(fw, {other.id: 100})).json()["priorities"]
    assert {p["activity"] for p in after[:len(other.activities)]} == {a.id for a in other.activities}
    assert [p["activity"] for p in after] != before


def test_the_page_works_without_javascript_and_shows_the_sensitivity(org_a, lopsided) -> None:
    fw = services.framework_of(lopsided.framework)
    kept = FirmResult.model_validate(lopsided.result)
    ranges = [WeightRangeOut(dimension=d.id, weight=float(w), classes={"iip": (0.1, 0.25), "iep": None, "iiep": (0.0, 0.4)},
                             priority=(0.05, 0.3)) for d, w in zip(fw.dimensions, fw.dimension_weights(), strict=True)]
    Assessment.objects.filter(pk=lopsided.pk).update(
        result=kept.model_copy(update={"sensitivity": ranges}).model_dump(mode="json", by_alias=True))
    page = org_a.client().get(reverse("assessment-whatif", args=[lopsided.pk]),
                              only(fw, {TOP_DIMENSION: 50, "networks": 50})).content.decode()
    form = re.search(r'<form class="card weights".*?</form>', page, re.S).group(0)
    assert form.count('type="number"') == len(fw.dimensions)
    assert f'name="{field_name(TOP_DIMENSION)}"' in form and 'value="50.0"' in form
    assert "IIP keeps its class: 10.0% to 25.0%" in form and "IEP keeps its class: —" in form
    assert "the first priority stays first: 5.0% to 30.0%" in form
    outcome = " ".join(re.search(r'<section class="outcome".*?</section>', page, re.S).group(0).split())
    assert '<td class="num" data-field="value">0.50</td>' in outcome  # IIEP: half on strategy (1.00)
    assert "changed" in outcome
    assert "web/whatif.js" in page


@pytest.mark.parametrize(("lang", "title", "value", "refusal"), [
    ("fr", "Et si les dimensions pesaient autrement ?", "1,00", "un poids ne peut pas être négatif"),
    ("es", "¿Y si las dimensiones pesaran de otro modo?", "1,00", "un peso no puede ser negativo"),
])
def test_the_page_in_the_users_language(org_a, lopsided, lang, title, value, refusal) -> None:
    org_a.advisor.membership.language = lang
    org_a.advisor.membership.save()
    fw = services.framework_of(lopsided.framework)
    client = org_a.client()
    response = client.get(reverse("assessment-whatif", args=[lopsided.pk]), only(fw, {TOP_DIMENSION: 1}))
    page = response.content.decode()
    assert response.status_code == 200
    assert title in page and "In percent" not in page
    assert f'<td class="num" data-field="value">{value}</td>' in page
    assert refusal in whatif_json(client, lopsided, {field_name(TOP_DIMENSION): "-1"}).json()["error"]


# --- nothing is written -----------------------------------------------------------------------------


def test_nothing_is_written(org_a, lopsided) -> None:
    fw = services.framework_of(lopsided.framework)
    client = org_a.client()
    client.get(reverse("assessment-results", args=[lopsided.pk]))  # any first-visit writes (session…) done
    counts = (Assessment.objects.count(), Answer.objects.count(), AuditEntry.objects.count())
    stamp, result = lopsided.updated_at, lopsided.result
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("assessment-whatif", args=[lopsided.pk]), only(fw, {TOP_DIMENSION: 60})).status_code == 200
        assert whatif_json(client, lopsided, only(fw, {TOP_DIMENSION: 60})).status_code == 200
        assert whatif_json(client, lopsided, {field_name(TOP_DIMENSION): "-3"}).status_code == 400
    writes = [q["sql"] for q in queries.captured_queries
              if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.I) and "django_session" not in q["sql"]]
    assert writes == []
    lopsided.refresh_from_db()
    assert (Assessment.objects.count(), Answer.objects.count(), AuditEntry.objects.count()) == counts
    assert lopsided.updated_at == stamp and lopsided.result == result


# --- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "words"), [
    ("-1", "a weight cannot be negative"), ("abc", "not a number"), ("nan", "not a number"), ("inf", "not a number"),
    ("", "a weight is needed"), ("1" * 40, "not a number"),
])
def test_bad_weights_are_refused_naming_the_field(org_a, lopsided, value, words) -> None:
    field = field_name("customer")
    response = whatif_json(org_a.client(), lopsided, {field: value})
    assert response.status_code == 400
    assert response.json()["field"] == field and words in response.json()["error"]
    page = org_a.client().get(reverse("assessment-whatif", args=[lopsided.pk]), {field: value})
    assert page.status_code == 400
    text = page.content.decode()
    assert words in text and f"<code>{field}</code>" in text and 'aria-invalid="true"' in text


def test_all_zero_and_unknown_dimensions_are_refused(org_a, lopsided) -> None:
    fw = services.framework_of(lopsided.framework)
    response = whatif_json(org_a.client(), lopsided, only(fw, {}))
    assert response.status_code == 400 and "at least one weight must be above zero" in response.json()["error"]
    response = whatif_json(org_a.client(), lopsided, {"w_marketing": "10"})
    assert response.status_code == 400
    assert response.json() == {"field": "w_marketing", "error": "the framework has no dimension 'marketing'"}
    assert org_a.client().get(reverse("assessment-whatif", args=[lopsided.pk]), {"w_marketing": "10"}).status_code == 400


def test_it_only_reads_other_methods_are_refused(org_a, lopsided) -> None:
    for url in (reverse("assessment-whatif", args=[lopsided.pk]), reverse("assessment-whatif-json", args=[lopsided.pk])):
        assert org_a.client().post(url, {field_name(TOP_DIMENSION): "50"}).status_code == 405


def test_a_draft_has_no_what_if(org_a, assessment) -> None:
    assert org_a.client().get(reverse("assessment-whatif", args=[assessment.pk])).status_code == 409
    assert whatif_json(org_a.client(), assessment, {}).status_code == 409


# --- who may use it --------------------------------------------------------------------------------------


def test_another_organisation_gets_404(org_a, org_b, lopsided) -> None:
    for who in ("admin", "advisor", "analyst"):
        client = org_b.client(who)
        assert client.get(reverse("assessment-whatif", args=[lopsided.pk])).status_code == 404
        assert whatif_json(client, lopsided, {}).status_code == 404


def test_an_analyst_may_use_it_and_anonymous_users_may_not(org_a, lopsided, client) -> None:
    fw = services.framework_of(lopsided.framework)
    response = whatif_json(org_a.client("analyst"), lopsided, only(fw, {TOP_DIMENSION: 1}))
    assert response.status_code == 200 and response.json()["moved"] is True
    assert org_a.client("analyst").get(reverse("assessment-whatif", args=[lopsided.pk])).status_code == 200
    anonymous = client.get(reverse("assessment-whatif", args=[lopsided.pk]))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
