"""Results page, report, PDF and JSON downloads, comparison of diagnostics — and no access across
organisations."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from innexport.web import services
from innexport.web.models import Assessment, AuditEntry, Membership

pytestmark = pytest.mark.django_db


def answer_all(assessment: Assessment, level: str = "bottom", *, top_activities: frozenset[str] = frozenset()) -> None:
    """Answer every question at the bottom (or top) level of its scale; the questions of
    ``top_activities`` at the top level whatever ``level`` says."""
    fw = services.framework_of(assessment.framework)
    for activity in fw.activities:
        for o in activity.observables:
            levels = fw.scale_by_id[o.scale].levels
            top = level == "top" or activity.id in top_activities
            services.save_answer(assessment, o.id, levels[-1 if top else 0].code)


def completed(org, framework, day: str, level: str = "bottom", **kwargs) -> Assessment:
    a = Assessment.objects.create(organisation=org.organisation, firm=org.firm, framework=framework, lang="en",
                                  assessed_on=dt.date.fromisoformat(day), assessor="Ana Pérez",
                                  created_by=org.advisor)
    answer_all(a, level, **kwargs)
    services.score(a, complete=True)
    a.refresh_from_db()
    return a


@pytest.fixture
def base_framework(frameworks):
    return next(f for f in frameworks if f.modules == [])


@pytest.fixture
def done(org_a, assessment) -> Assessment:
    """The fixture's draft, answered at the top of every scale and completed."""
    Assessment.objects.filter(pk=assessment.pk).update(assessor="Ana Pérez", assessed_on=dt.date(2025, 2, 3))
    assessment.refresh_from_db()
    answer_all(assessment, "top")
    services.score(assessment, complete=True)
    assessment.refresh_from_db()
    return assessment


def text(response) -> str:
    return response.content.decode()


def deltas(page: str) -> list[str]:
    return re.findall(r'<span class="delta (\w+)">([^<]+)</span>', page)


# --- the results page -------------------------------------------------------------------------------


def test_results_page_shows_indices_classes_and_report(org_a, done) -> None:
    response = org_a.client().get(reverse("assessment-results", args=[done.pk]))
    page = text(response)
    assert response.status_code == 200
    assert "Chamber A Winery" in page and "Ana Pérez" in page and "Feb. 3, 2025" in page
    for abbr in ("IIP", "IEP", "IIEP"):
        assert abbr in page
    assert page.count('<div class="value">1.00</div>') == 3
    assert 'class="cls cls-proactive">Proactive<' in page
    assert "Innovative exporter" in page
    assert done.framework.label in page and done.framework.content_hash.split(":")[1][:12] in page
    assert f'src="{reverse("assessment-report-html", args=[done.pk])}"' in page
    assert reverse("assessment-pdf", args=[done.pk]) in page and reverse("assessment-json", args=[done.pk]) in page


def card(page: str, abbr: str) -> str:
    """One index card of the results page, its white space flattened."""
    match = re.search(rf'<div class="index-card[^"]*">\s*<div class="abbr">{abbr}</div>.*?</dl>', page, re.S)
    assert match, abbr
    return " ".join(match.group(0).split())


def explained(page: str) -> str:
    match = re.search(r'<div class="card class-note" id="classes-explained">.*?</div>', page, re.S)
    assert match
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(0))).split())


def test_results_card_names_the_class_to_tell_and_flowsort_as_a_second_opinion(org_a, done) -> None:
    page = text(org_a.client().get(reverse("assessment-results", args=[done.pk])))
    for abbr in ("IIP", "IEP", "IIEP"):
        one = card(page, abbr)
        assert '<dt>Class</dt> <dd><span class="cls cls-proactive">Proactive</span></dd>' in one
        assert '<dt>FlowSort (second opinion)</dt> <dd><span class="cls cls-proactive">Proactive</span></dd>' in one
        assert "differs" not in one
    note = explained(page)
    assert note.startswith("The class is the one to tell the director. It compares the index with the method's thresholds: "
                           "Proactive from 0.61, Preactive from 0.41, Reactive from 0.29, Passive below.")
    assert "FlowSort is a second opinion: it compares the firm with a typical profile of each class" in note
    assert note.endswith("FlowSort gives the same class on every index.")


def wine_activities(wine_framework) -> list[str]:
    return [a.id for a in services.framework_of(wine_framework).activities]


def test_results_card_explains_a_difference_due_to_uneven_activities(org_a, wine_framework) -> None:
    # the first 17 activities at the top of their scales (1.00), the other 8 at the bottom (0.00):
    # IIEP 0.68 is Proactive, but a firm scoring 0.68 on every activity is Proactive for FlowSort
    # too (its limit lies half-way between the profiles 0.805 and 0.51, about 0.645), so the
    # difference (Preactive) comes from the spread of the activities
    top = frozenset(wine_activities(wine_framework)[:17])
    a = completed(org_a, wine_framework, "2025-05-01", "bottom", top_activities=top)
    iiep = a.result["indices"]["iiep"]
    assert (round(iiep["value"], 2), iiep["class"], iiep["flowsort"]["class"]) == (0.68, "proactive", "preactive")
    page = text(org_a.client().get(reverse("assessment-results", args=[a.pk])))
    one = card(page, "IIEP")
    assert '<dt>Class</dt> <dd><span class="cls cls-proactive">Proactive</span></dd>' in one
    assert 'class="fs differs"' in one and '<span class="cls cls-preactive">Preactive</span>' in one
    assert ("IIEP: FlowSort gives Preactive where the thresholds give Proactive. The activities are uneven "
            "(from 0.00 to 1.00): the index is their weighted mean, whereas FlowSort counts the gap between an "
            "activity and a class's typical profile only up to 0.25, so a few activities far above or below the "
            "others weigh less in it than in the mean.") in explained(page)
    assert "FlowSort gives the same class on every index." not in page


def test_results_card_explains_a_difference_near_a_threshold(org_a, wine_framework) -> None:
    # the first 16 activities at the top: IIEP 0.64, Proactive by the 0.61 threshold, and a firm
    # scoring 0.64 on every activity is already Preactive for FlowSort (limit about 0.645)
    top = frozenset(wine_activities(wine_framework)[:16])
    a = completed(org_a, wine_framework, "2025-05-01", "bottom", top_activities=top)
    iiep = a.result["indices"]["iiep"]
    assert (round(iiep["value"], 2), iiep["class"], iiep["flowsort"]["class"]) == (0.64, "proactive", "preactive")
    note = explained(text(org_a.client().get(reverse("assessment-results", args=[a.pk]))))
    assert ("IIEP: FlowSort gives Preactive where the thresholds give Proactive. The index, 0.64, is close to "
            "the 0.61 threshold: FlowSort draws its limits half-way between the typical profiles of the classes "
            "(the middles of their ranges), not at the thresholds, so near a threshold it can give the "
            "neighbouring class even when the activities are even.") in note
    assert "uneven" not in note


def test_results_card_in_french(org_a, done) -> None:
    Membership.objects.filter(user=org_a.advisor).update(language="fr")
    page = text(org_a.client().get(reverse("assessment-results", args=[done.pk])))
    note = explained(page)
    assert note.startswith("La classe est celle à annoncer au dirigeant. Elle compare l'indice aux seuils de la "
                           "méthode : Proactive à partir de 0,61, Préactive à partir de 0,41, Réactive à partir "
                           "de 0,29, Passive en dessous.")
    assert "FlowSort (second avis)" in card(page, "IIEP")
    assert "tell the director" not in page and "second opinion" not in page


def test_results_page_lists_earlier_diagnostics_and_links_the_comparison(org_a, wine_framework) -> None:
    first = completed(org_a, wine_framework, "2024-03-01", "bottom")
    second = completed(org_a, wine_framework, "2025-03-01", "top")
    page = text(org_a.client().get(reverse("assessment-results", args=[second.pk])))
    assert date_format(first.assessed_on) in page and "0.00" in page  # the earlier one, with its indices
    assert f'{reverse("firm-compare", args=[org_a.firm.pk])}?a={first.pk}&amp;b={second.pk}' in page
    assert "Follow-up since an earlier diagnostic" in page
    page = text(org_a.client().get(reverse("assessment-results", args=[first.pk])))
    assert "Follow-up since an earlier diagnostic" not in page  # nothing earlier than the first


def test_report_html_is_the_core_report(org_a, done) -> None:
    response = org_a.client().get(reverse("assessment-report-html", args=[done.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = text(response)
    assert page.startswith("<!DOCTYPE html>") and "Chamber A Winery" in page
    assert page == services.report_html(done, services.result_of(done))


def test_pdf_download(org_a, done) -> None:
    try:
        import weasyprint  # noqa: F401 - only whether it imports
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint is not usable here: {exc}")
    response = org_a.client().get(reverse("assessment-pdf", args=[done.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == (
        f'attachment; filename="innexport-chamber-a-winery-{done.assessed_on.isoformat()}.pdf"')
    entry = AuditEntry.objects.get(action="export", object_type="assessment", object_id=str(done.pk))
    assert entry.description == "PDF report" and entry.user == org_a.advisor
    assert entry.organisation == org_a.organisation


def test_json_download(org_a, done) -> None:
    response = org_a.client().get(reverse("assessment-json", args=[done.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith(f'-{done.assessed_on.isoformat()}.json"')
    data = json.loads(response.content)
    assert data["firms"][0]["indices"]["iip"]["value"] == done.result["indices"]["iip"]["value"] == 1.0
    assert data["firms"][0]["firm"]["name"] == "Chamber A Winery"
    assert data["firms"][0]["framework"]["content_hash"] == done.framework.content_hash
    entry = AuditEntry.objects.get(action="export", object_type="assessment", object_id=str(done.pk))
    assert entry.description == "JSON result"


def test_analyst_views_and_downloads(org_a, done) -> None:
    c = org_a.client("analyst")
    for route in ("assessment-results", "assessment-report-html", "assessment-json"):
        assert c.get(reverse(route, args=[done.pk])).status_code == 200, route
    assert c.get(reverse("firm-compare", args=[org_a.firm.pk])).status_code == 200
    assert AuditEntry.objects.filter(action="export", user=org_a.analyst).count() == 1


def test_kept_result_is_used_and_a_lost_one_recomputed(org_a, done) -> None:
    Assessment.objects.filter(pk=done.pk).update(result=None)
    data = json.loads(org_a.client().get(reverse("assessment-json", args=[done.pk])).content)
    assert data["firms"][0]["indices"]["iiep"]["value"] == 1.0
    done.refresh_from_db()
    assert done.result["indices"]["iiep"]["value"] == 1.0


# --- drafts ----------------------------------------------------------------------------------------------


def test_draft_says_in_progress_and_refuses_downloads(org_a, assessment) -> None:
    answer_all(assessment, "top")  # fully answered, but not completed: still a draft
    response = org_a.client().get(reverse("assessment-results", args=[assessment.pk]))
    page = text(response)
    assert response.status_code == 200 and "This diagnostic is in progress." in page
    assert f'href="{reverse("assessment-questionnaire", args=[assessment.pk])}"' in page
    assert reverse("assessment-pdf", args=[assessment.pk]) not in page and "<iframe" not in page
    for route in ("assessment-report-html", "assessment-pdf", "assessment-json"):
        response = org_a.client().get(reverse(route, args=[assessment.pk]))
        assert response.status_code == 409, route
        assert "still in progress" in text(response)
    assert not AuditEntry.objects.filter(action="export").exists()
    assessment.refresh_from_db()
    assert assessment.result is None  # looking did not score it
    # an analyst cannot continue it: no link, a note instead
    page = text(org_a.client("analyst").get(reverse("assessment-results", args=[assessment.pk])))
    assert f'href="{reverse("assessment-questionnaire", args=[assessment.pk])}"' not in page
    assert "can complete it" in page


# --- comparison ---------------------------------------------------------------------------------------------


def test_compare_latest_two_by_default(org_a, wine_framework) -> None:
    completed(org_a, wine_framework, "2023-01-15", "top")  # older still: not compared by default
    first = completed(org_a, wine_framework, "2024-01-15", "bottom")
    second = completed(org_a, wine_framework, "2025-01-15", "top")
    assert first.result["indices"]["iiep"]["value"] == 0.0 and second.result["indices"]["iiep"]["value"] == 1.0
    response = org_a.client().get(reverse("firm-compare", args=[org_a.firm.pk]))
    page = text(response)
    assert response.status_code == 200
    assert "Jan. 15, 2024" in page and "Jan. 15, 2025" in page
    n_activities = len(services.framework_of(wine_framework).activities)
    # three indices and every activity: from 0 to 1
    assert deltas(page) == [("up", "+1.00")] * (3 + n_activities)
    assert 'cls-passive">Passive<' in page and 'cls-proactive">Proactive<' in page
    assert page.count("class up") == 3
    assert "Neither innovation nor export structured yet" in page and "Innovative exporter" in page
    assert "different framework versions" not in page
    assert '<svg' in page and 'class="earlier"' in page and 'marker-end="url(#trajectory-head)"' in page


def test_compare_chosen_pair_in_either_order(org_a, wine_framework) -> None:
    first = completed(org_a, wine_framework, "2024-01-15", "top")
    middle = completed(org_a, wine_framework, "2024-06-15", "bottom")
    completed(org_a, wine_framework, "2025-01-15", "top")
    url = reverse("firm-compare", args=[org_a.firm.pk])
    for query in ({"a": first.pk, "b": middle.pk}, {"a": middle.pk, "b": first.pk}):
        page = text(org_a.client().get(url, query))
        assert deltas(page)[:3] == [("down", "-1.00")] * 3  # always older → newer
        assert page.count("class down") == 3
        assert page.index("Jan. 15, 2024</a>") < page.index("June 15, 2024</a>")


def test_compare_sorts_activities_by_largest_change(org_a, wine_framework) -> None:
    fw = services.framework_of(wine_framework)
    moved = fw.activities[5]
    completed(org_a, wine_framework, "2024-01-15", "bottom")
    completed(org_a, wine_framework, "2025-01-15", "bottom", top_activities=frozenset({moved.id}))
    page = text(org_a.client().get(reverse("firm-compare", args=[org_a.firm.pk])))
    rows = page.split('<table class="activities-compare">')[1]
    found = deltas(rows)
    assert found[0] == ("up", "+1.00") and set(found[1:]) == {("same", "0.00")}
    assert len(found) == len(fw.activities)
    assert rows.index(moved.name["en"]) < rows.index(fw.activities[0].name["en"])


def test_compare_across_framework_versions(org_a, base_framework, wine_framework) -> None:
    completed(org_a, base_framework, "2024-01-15", "bottom")
    completed(org_a, wine_framework, "2025-01-15", "top")
    page = text(org_a.client().get(reverse("firm-compare", args=[org_a.firm.pk])))
    assert "different framework versions" in page
    common = {a.id for a in services.framework_of(base_framework).activities}
    new = [a for a in services.framework_of(wine_framework).activities if a.id not in common]
    assert new and f"only on the {len(common)} activities" in page
    assert "new activity" in page and new[0].name["en"] in page
    assert base_framework.label in page and wine_framework.label in page


def test_compare_in_the_interface_language(org_a, wine_framework) -> None:
    Membership.objects.filter(user=org_a.advisor).update(language="es")
    completed(org_a, wine_framework, "2024-01-15", "bottom")
    completed(org_a, wine_framework, "2025-01-15", "top")
    page = text(org_a.client().get(reverse("firm-compare", args=[org_a.firm.pk])))
    fw = services.framework_of(wine_framework)
    assert fw.activities[0].name["es"] in page and "Proactiva" in page and "Exportadora innovadora" in page
    assert "+1,00" in page  # Spanish decimal comma


def test_compare_needs_two_completed_diagnostics(org_a, assessment, wine_framework) -> None:
    url = reverse("firm-compare", args=[org_a.firm.pk])
    page = text(org_a.client().get(url))
    assert "at least two" in page
    completed(org_a, wine_framework, "2024-01-15", "bottom")
    page = text(org_a.client().get(url))
    assert "1 completed diagnostic:" in page
    # a draft, an unknown id or another firm's diagnostic cannot be compared
    other_firm = type(org_a.firm).objects.create(organisation=org_a.organisation, name="Other", country="FR")
    other = Assessment.objects.create(organisation=org_a.organisation, firm=other_firm, framework=wine_framework)
    for bad in (assessment.pk, 999999, "x", other.pk):
        assert org_a.client().get(url, {"a": bad}).status_code == 404, bad


# --- tenancy ---------------------------------------------------------------------------------------------------

ASSESSMENT_ROUTES = ["assessment-results", "assessment-report-html", "assessment-pdf", "assessment-json"]


@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
@pytest.mark.parametrize("route", [*ASSESSMENT_ROUTES, "firm-compare"])
def test_other_organisations_results_are_not_found(org_a, org_b, done, route, who) -> None:
    pk = org_a.firm.pk if route == "firm-compare" else done.pk
    response = org_b.client(who).get(reverse(route, args=[pk]))
    assert response.status_code == 404
    assert "Chamber A Winery" not in text(response)
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
def test_other_organisations_diagnostics_cannot_be_compared_on_own_firm(org_a, org_b, done, who,
                                                                         wine_framework) -> None:
    completed(org_b, wine_framework, "2024-01-15", "bottom")
    url = reverse("firm-compare", args=[org_b.firm.pk])
    assert org_b.client(who).get(url, {"a": done.pk}).status_code == 404
    assert org_b.client(who).get(url, {"b": done.pk}).status_code == 404


@pytest.mark.parametrize("route", [*ASSESSMENT_ROUTES, "firm-compare"])
def test_login_required(client, org_a, done, route) -> None:
    pk = org_a.firm.pk if route == "firm-compare" else done.pk
    response = client.get(reverse(route, args=[pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
