"""Action plans in the web app: made from a completed diagnostic by the core, edited by advisors,
read by analysts, downloaded (PDF, XLSX, iCalendar, JSON), shown in the report — and never reached
from another organisation."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from innexport.core.assessment import FirmResult
from innexport.rendering.plan import HEADER_ROWS
from innexport.support.plans import build_plan, extra_action, from_json
from innexport.web import plans, services
from innexport.web.models import ActionPlan, Assessment, AuditEntry, PlanAction

pytestmark = pytest.mark.django_db


def answer_all(assessment: Assessment, level: str = "bottom") -> None:
    fw = services.framework_of(assessment.framework)
    for o in fw.observables:
        levels = fw.scale_by_id[o.scale].levels
        services.save_answer(assessment, o.id, levels[-1 if level == "top" else 0].code)


def completed(org, framework, lang: str = "en") -> Assessment:
    a = Assessment.objects.create(organisation=org.organisation, firm=org.firm, framework=framework, lang=lang,
                                  assessed_on=dt.date(2026, 10, 15), assessor="Ana Pérez", created_by=org.advisor)
    answer_all(a)
    services.score(a, complete=True)
    a.refresh_from_db()
    return a


@pytest.fixture
def done(org_a, wine_framework) -> Assessment:
    """A completed diagnostic of Chamber A's French winery (every answer at the bottom of its scale)."""
    return completed(org_a, wine_framework)


@pytest.fixture
def planned(org_a, done) -> ActionPlan:
    response = org_a.client().post(reverse("assessment-plan", args=[done.pk]))
    assert response.status_code == 302
    return ActionPlan.objects.get(assessment=done)


def expected_plan(assessment: Assessment, owner: str = "a-advisor"):
    """The core's plan for the same result, as the web app must make it."""
    result = FirmResult.model_validate(assessment.result)
    fw = services.framework_of(assessment.framework)
    today = timezone.localdate()
    return build_plan(result, fw, services.catalogue_for(assessment.organisation), start=today, owner=owner,
                      lang=assessment.lang, created_on=today)


def rows(plan: ActionPlan) -> list[PlanAction]:
    return sorted(plan.actions.all(), key=lambda r: (r.rank, r.position, r.pk))


def with_programmes(plan: ActionPlan, n: int = 2) -> PlanAction:
    """The first action proposing at least ``n`` programmes."""
    return next(r for r in rows(plan) if len(r.proposed) >= n)


def text(response) -> str:
    return response.content.decode()


def flat(s: str) -> str:
    return " ".join(s.split())


def squash(s: str) -> str:
    """Without any white space: a PDF's lines may break after a slash."""
    return "".join(s.split())


# --- making the plan ---------------------------------------------------------------------------------------


def test_page_without_plan_offers_to_make_it(org_a, done) -> None:
    page = text(org_a.client().get(reverse("assessment-plan", args=[done.pk])))
    assert "Make the action plan" in page and 'method="post"' in page
    analyst = text(org_a.client("analyst").get(reverse("assessment-plan", args=[done.pk])))
    assert "Make the action plan" not in analyst and "An advisor or an administrator" in analyst


def test_plan_is_the_cores_build_plan(org_a, done, planned) -> None:
    expected = expected_plan(done)
    assert len(expected.actions) >= 5
    core = plans.core_plan(planned)
    assert core.actions == expected.actions
    assert core.programme_names == expected.programme_names
    assert (core.firm_id, core.firm_name, core.lang) == (f"firm-{org_a.firm.pk}", "Chamber A Winery", "en")
    assert (core.framework, core.content_hash) == (done.framework.label, done.framework.content_hash)
    stored = rows(planned)
    assert [r.key for r in stored] == [a.id for a in expected.actions]
    assert [r.proposed for r in stored] == [a.programmes for a in expected.actions]
    assert all(r.owner == "a-advisor" and r.status == "todo" and r.chosen == [] and r.done_on is None for r in stored)
    assert planned.organisation == org_a.organisation and planned.created_by == org_a.advisor
    # the summary columns
    assert planned.actions_total == len(expected.actions) and planned.actions_done == 0
    assert planned.programmes_proposed == list(dict.fromkeys(p for a in expected.actions for p in a.programmes))
    assert planned.programmes_proposed, "the French winery should be proposed programmes"
    assert planned.programmes_picked == [] and planned.programmes_used == []
    entry = AuditEntry.objects.get(action="create", object_type="actionplan")
    assert entry.object_id == str(planned.pk) and entry.user == org_a.advisor
    assert entry.description == f"action plan of assessment {done.pk}: {len(expected.actions)} actions"


def test_page_shows_the_actions_grouped_by_priority(org_a, done, planned) -> None:
    page = text(org_a.client().get(reverse("assessment-plan", args=[done.pk])))
    expected = expected_plan(done)
    ranks = list(dict.fromkeys(a.rank for a in expected.actions))
    assert re.findall(r"Priority (\d+) · ", page) == [str(r) for r in ranks]
    for r in rows(planned):
        assert f'id="action-{r.pk}"' in page and f'name="a-{r.pk}-status"' in page
        assert f'action="{reverse("plan-action-delete", args=[r.pk])}"' in page
    assert page.count(f'action="{reverse("assessment-plan-save", args=[done.pk])}"') == 1  # one form, one Save
    pid = planned.programmes_proposed[0]
    programme = services.catalogue_for(org_a.organisation).by_id[pid]
    assert programme.name.get("en") in page and programme.operator in page
    assert f'href="{reverse("programme-detail", args=[pid])}"' in page and f'href="{programme.url}"' in page
    assert f"0</strong> of {planned.actions_total} actions done" in page
    for fmt in ("pdf", "xlsx", "ics", "json"):
        assert reverse(f"assessment-plan-{fmt}", args=[done.pk]) in page


def test_refused_on_a_draft_and_when_it_exists(org_a, assessment, done, planned) -> None:
    response = org_a.client().post(reverse("assessment-plan", args=[assessment.pk]))
    assert response.status_code == 409
    assert "still in progress" in text(response)
    assert not ActionPlan.objects.filter(assessment=assessment).exists()
    page = text(org_a.client().get(reverse("assessment-plan", args=[assessment.pk])))
    assert "still in progress" in page and "Make the action plan" not in page
    again = org_a.client().post(reverse("assessment-plan", args=[done.pk]))
    assert again.status_code == 409 and "already has an action plan" in text(again)
    assert ActionPlan.objects.filter(assessment=done).count() == 1
    for route in ("assessment-plan-pdf", "assessment-plan-json"):
        assert org_a.client().get(reverse(route, args=[assessment.pk])).status_code == 404


# --- the life cycle of an action ----------------------------------------------------------------------------


def test_life_cycle_status_done_on_and_summary(org_a, planned) -> None:
    c = org_a.client()
    row = with_programmes(planned)
    first, second = row.proposed[0], row.proposed[1]
    url = reverse("plan-action", args=[row.pk])
    today = timezone.localdate()

    # picked in the reverse order: kept in the proposal's order
    response = c.post(url, {"owner": "  Claire   Martin ", "due": "2027-03-01", "status": "doing",
                            "chosen": ["", second, first]})
    assert response.status_code == 302 and response["Location"].endswith(f"#action-{row.pk}")
    row.refresh_from_db()
    planned.refresh_from_db()
    assert (row.owner, row.due, row.status, row.chosen, row.done_on) == (
        "Claire Martin", dt.date(2027, 3, 1), "doing", [first, second], None)
    assert row.updated_by == org_a.advisor
    assert planned.actions_done == 0 and planned.programmes_picked == [first, second] and planned.programmes_used == []

    c.post(url, {"status": "done", "chosen": ["", first]})
    row.refresh_from_db()
    planned.refresh_from_db()
    assert (row.status, row.done_on, row.chosen) == ("done", today, [first])
    assert row.owner == "Claire Martin" and row.due == dt.date(2027, 3, 1)  # fields not sent are kept
    assert planned.actions_done == 1 and planned.programmes_picked == [first] and planned.programmes_used == [first]
    assert planned.supported

    c.post(url, {"status": "dropped"})
    row.refresh_from_db()
    planned.refresh_from_db()
    assert (row.status, row.done_on, row.chosen) == ("dropped", None, [first])
    assert planned.actions_done == 0 and planned.programmes_picked == [] and planned.programmes_used == []

    c.post(url, {"status": "todo", "due": "", "chosen": [""]})
    row.refresh_from_db()
    planned.refresh_from_db()
    assert (row.status, row.done_on, row.chosen, row.due) == ("todo", None, [], None)
    assert planned.actions_total == len(rows(planned))

    changes = list(AuditEntry.objects.filter(action="change", object_type="planaction", object_id=str(row.pk))
                   .order_by("at", "pk").values_list("description", flat=True))
    assert changes == [
        f"action {row.key} of plan {planned.pk}: owner=Claire Martin, due=2027-03-01, status=doing, chosen=[{first}, {second}]",
        f"action {row.key} of plan {planned.pk}: status=done, chosen=[{first}], done_on={today.isoformat()}",
        f"action {row.key} of plan {planned.pk}: status=dropped, done_on=–",
        f"action {row.key} of plan {planned.pk}: due=–, status=todo, chosen=[]",
    ]


def test_done_on_is_kept_while_the_action_stays_done(org_a, planned) -> None:
    row = rows(planned)[0]
    PlanAction.objects.filter(pk=row.pk).update(status="done", done_on=dt.date(2026, 1, 2))
    org_a.client().post(reverse("plan-action", args=[row.pk]), {"status": "done", "owner": "Luis"})
    row.refresh_from_db()
    assert (row.status, row.done_on, row.owner) == ("done", dt.date(2026, 1, 2), "Luis")


@pytest.mark.parametrize(("data", "message"), [
    ({"status": "finished"}, "Status: “finished” is not a status"),
    ({"due": "2027-13-45"}, "Due date: “2027-13-45” is not a date"),
    ({"chosen": ["no_such_programme"]}, "Programmes: “no_such_programme” is not among the programmes proposed"),
    ({"owner": "x" * 201}, "Owner: at most 200 characters"),
])
def test_bad_input_is_refused_naming_the_field(org_a, planned, data, message) -> None:
    row = with_programmes(planned, 1)
    before = PlanAction.objects.filter(pk=row.pk).values().get()
    response = org_a.client().post(reverse("plan-action", args=[row.pk]), {"owner": "Changed", **data})
    assert response.status_code == 400
    assert message in text(response)
    assert PlanAction.objects.filter(pk=row.pk).values().get() == before
    assert not AuditEntry.objects.filter(action="change", object_type="planaction").exists()


def test_a_programme_proposed_to_another_action_cannot_be_picked(org_a, planned) -> None:
    row = rows(planned)[0]
    others = [p for r in rows(planned) for p in r.proposed if p not in row.proposed]
    assert others, "the plan's actions should propose different programmes"
    elsewhere = others[0]
    response = org_a.client().post(reverse("plan-action", args=[row.pk]), {"chosen": [elsewhere]})
    assert response.status_code == 400 and f"“{elsewhere}”" in text(response)


def test_add_and_delete_actions(org_a, done, planned) -> None:
    c = org_a.client()
    result = FirmResult.model_validate(done.result)
    fw = services.framework_of(done.framework)
    activity = result.priorities[-1].activity  # a priority outside the plan
    total = planned.actions_total
    response = c.post(reverse("plan-action-add", args=[done.pk]),
                      {"title": "Visit the Prowein fair", "activity": activity, "owner": "Claire", "due": "2027-03-10"})
    assert response.status_code == 302
    row = PlanAction.objects.get(plan=planned, key="custom-1")
    expected, _names = extra_action(result, fw, services.catalogue_for(org_a.organisation), action_id="custom-1",
                                    title="Visit the Prowein fair", activity=activity, owner="Claire",
                                    due="2027-03-10", lang="en", today=timezone.localdate())
    assert plans.core_action(row) == expected
    assert row.rank == result.priorities[-1].rank and row.activity_name == fw.activity_by_id[activity].name["en"]
    planned.refresh_from_db()
    assert planned.actions_total == total + 1
    page = text(c.get(reverse("assessment-plan", args=[done.pk])))
    assert "Visit the Prowein fair" in page and "added by hand" in page

    second = c.post(reverse("plan-action-add", args=[done.pk]), {"title": "Second", "activity": activity})
    assert second.status_code == 302 and PlanAction.objects.filter(plan=planned, key="custom-2").exists()

    for data, message in [({"title": " ", "activity": activity}, "Title: give the action"),
                          ({"title": "X", "activity": "no_such_activity"}, "Activity: “no_such_activity”"),
                          ({"title": "X", "activity": activity, "due": "soon"}, "Due date: “soon”")]:
        response = c.post(reverse("plan-action-add", args=[done.pk]), data)
        assert response.status_code == 400 and message in text(response)
    assert planned.actions.count() == total + 2

    assert c.post(reverse("plan-action-delete", args=[row.pk])).status_code == 302
    assert not PlanAction.objects.filter(pk=row.pk).exists()
    planned.refresh_from_db()
    assert planned.actions_total == total + 1
    entries = set(AuditEntry.objects.filter(object_type="planaction").values_list("action", "description"))
    assert ("create", f"action custom-1 added to plan {planned.pk}: Visit the Prowein fair") in entries
    assert ("delete", f"action custom-1 of plan {planned.pk} deleted: Visit the Prowein fair") in entries


def test_make_the_plan_again(org_a, done, planned) -> None:
    c = org_a.client()
    row = rows(planned)[0]
    c.post(reverse("plan-action", args=[row.pk]), {"status": "done"})
    refused = c.post(reverse("assessment-plan-remake", args=[done.pk]))
    assert refused.status_code == 400 and "Confirm" in text(refused)
    assert PlanAction.objects.filter(pk=row.pk, status="done").exists()
    assert c.post(reverse("assessment-plan-remake", args=[done.pk]), {"confirm": "yes"}).status_code == 302
    new = ActionPlan.objects.get(assessment=done)
    assert new.pk != planned.pk and new.actions_done == 0
    assert plans.core_plan(new).actions == expected_plan(done).actions
    assert AuditEntry.objects.filter(action="delete", object_type="actionplan", object_id=str(planned.pk)).exists()


# --- roles and organisations ----------------------------------------------------------------------------------


def test_analyst_reads_and_downloads_but_every_write_is_refused(org_a, wine_framework, done, planned) -> None:
    c = org_a.client("analyst")
    page = text(c.get(reverse("assessment-plan", args=[done.pk])))
    row = rows(planned)[0]
    assert row.title in page
    assert 'name="status"' not in page and "Add an action" not in page and "Make the plan again" not in page
    assert reverse("plan-action", args=[row.pk]) not in page and 'type="checkbox"' not in page
    for fmt in ("pdf", "xlsx", "ics", "json"):
        assert c.get(reverse(f"assessment-plan-{fmt}", args=[done.pk])).status_code == 200
    other = completed(org_a, wine_framework)
    writes = [
        (reverse("assessment-plan", args=[other.pk]), {}),
        (reverse("assessment-plan-remake", args=[done.pk]), {"confirm": "yes"}),
        (reverse("plan-action-add", args=[done.pk]), {"title": "X", "activity": row.activity}),
        (reverse("plan-action", args=[row.pk]), {"status": "done"}),
        (reverse("plan-action-delete", args=[row.pk]), {}),
    ]
    for url, data in writes:
        assert c.post(url, data).status_code == 403, url
    assert not ActionPlan.objects.filter(assessment=other).exists()
    row.refresh_from_db()
    assert row.status == "todo" and planned.actions.count() == planned.actions_total
    assert not AuditEntry.objects.filter(user=org_a.analyst).exclude(action__in=["export", "login"]).exists()


def plan_urls(assessment: Assessment, row: PlanAction) -> list[str]:
    return [reverse(name, args=[assessment.pk]) for name in
            ("assessment-plan", "plan-action-add", "assessment-plan-remake", "assessment-plan-save", "assessment-plan-pdf",
             "assessment-plan-xlsx", "assessment-plan-ics", "assessment-plan-json")] + \
           [reverse("plan-action", args=[row.pk]), reverse("plan-action-delete", args=[row.pk])]


@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
def test_another_organisation_gets_404_on_every_route_and_method(org_a, org_b, done, planned, who) -> None:
    row = rows(planned)[0]
    c = org_b.client(who)
    data = {"confirm": "yes", "status": "done", "title": "X", "activity": row.activity}
    for url in plan_urls(done, row):
        for method in ("get", "post", "put", "patch", "delete", "head"):
            response = getattr(c, method)(url, data) if method == "post" else getattr(c, method)(url)
            assert response.status_code == 404, (url, method, response.status_code)
            assert "Chamber A" not in text(response) and row.title not in text(response)
    assert ActionPlan.objects.get(pk=planned.pk).actions.count() == planned.actions_total
    row.refresh_from_db()
    assert row.status == "todo"
    assert not AuditEntry.objects.filter(organisation=org_b.organisation).exclude(action="login").exists()


def test_methods_not_allowed_on_own_routes(org_a, done, planned) -> None:
    c = org_a.client()
    row = rows(planned)[0]
    assert c.get(reverse("plan-action", args=[row.pk])).status_code == 405
    assert c.get(reverse("plan-action-delete", args=[row.pk])).status_code == 405
    assert c.get(reverse("plan-action-add", args=[done.pk])).status_code == 405
    assert c.delete(reverse("assessment-plan", args=[done.pk])).status_code == 405
    assert c.post(reverse("assessment-plan-xlsx", args=[done.pk])).status_code == 405


# --- exports and the report ----------------------------------------------------------------------------------


def test_xlsx_export(org_a, done, planned) -> None:
    c = org_a.client()
    row = with_programmes(planned)
    c.post(reverse("plan-action", args=[row.pk]), {"status": "done", "chosen": [row.proposed[1]], "owner": "Claire"})
    response = c.get(reverse("assessment-plan-xlsx", args=[done.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="innexport-plan-chamber-a-winery-2026-10-15.xlsx"'
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws["A1"].value == f"Action plan: Chamber A Winery (firm-{org_a.firm.pk})"
    assert [c.value for c in ws[HEADER_ROWS]] == ["Priority", "Activity", "Action", "Owner", "Due", "Status",
                                                  "Programmes", "Picked programmes", "Done on"]
    values = list(ws.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    assert len(values) == planned.actions_total
    names = services.catalogue_for(org_a.organisation).by_id
    line = next(v for v in values if v[2] == row.title)
    assert line[3] == "Claire" and line[5] == "Done" and line[8].date() == timezone.localdate()
    assert line[6] == "; ".join(names[p].name.get("en") for p in row.proposed)
    assert line[7] == names[row.proposed[1]].name.get("en")
    assert AuditEntry.objects.filter(action="export", object_type="actionplan", description="XLSX action plan").count() == 1


def test_ics_and_json_exports(org_a, done, planned) -> None:
    c = org_a.client()
    response = c.get(reverse("assessment-plan-ics", args=[done.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = response.content.decode().replace("\r\n ", "").split("\r\n")
    dated = [r for r in rows(planned) if r.due]
    assert len(dated) == planned.actions_total
    assert lines.count("BEGIN:VEVENT") == len(dated)
    first = rows(planned)[0]
    assert f"UID:firm-{org_a.firm.pk}.{first.key}@innexport" in lines
    assert f"DTSTART;VALUE=DATE:{first.due:%Y%m%d}" in lines
    data = json.loads(c.get(reverse("assessment-plan-json", args=[done.pk])).content)
    assert from_json(json.dumps(data)) == plans.core_plan(planned)
    assert sorted(AuditEntry.objects.filter(action="export").values_list("description", flat=True)) == [
        "JSON action plan", "iCalendar action plan"]


def test_pdf_export_in_the_assessments_language(org_a, wine_framework) -> None:
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    fr = completed(org_a, wine_framework, lang="fr")
    c = org_a.client()  # the advisor's interface is in English
    assert c.post(reverse("assessment-plan", args=[fr.pk])).status_code == 302
    plan = ActionPlan.objects.get(assessment=fr)
    row = with_programmes(plan)
    c.post(reverse("plan-action", args=[row.pk]), {"chosen": [row.proposed[0]]})
    response = c.get(reverse("assessment-plan-pdf", args=[fr.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == 'attachment; filename="innexport-plan-chamber-a-winery-2026-10-15.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    content = flat(" ".join(page.extract_text() for page in reader.pages))
    assert "PLAN D'ACTION" in content and "Chamber A Winery" in content
    assert f"Actions réalisées : 0 sur {plan.actions_total} (0 %)" in content
    for r in rows(plan):
        assert squash(r.title) in squash(content), r.key
    picked = services.catalogue_for(org_a.organisation).by_id[row.proposed[0]].name.get("fr")
    assert f"✓ {picked} retenu" in content
    assert AuditEntry.objects.filter(action="export", object_type="actionplan", description="PDF action plan").exists()


def test_report_shows_the_plan_when_there_is_one(org_a, done) -> None:
    c = org_a.client()
    before = text(c.get(reverse("assessment-report-html", args=[done.pk])))
    assert 'class="action-plan"' not in before
    c.post(reverse("assessment-plan", args=[done.pk]))
    plan = ActionPlan.objects.get(assessment=done)
    row = with_programmes(plan)
    c.post(reverse("plan-action", args=[row.pk]), {"status": "done", "chosen": [row.proposed[0]]})
    after = text(c.get(reverse("assessment-report-html", args=[done.pk])))
    assert '<section class="action-plan">' in after and "<h2>Action plan</h2>" in after
    assert f"Actions done: 1 of {plan.actions_total}" in after
    name = services.catalogue_for(org_a.organisation).by_id[row.proposed[0]].name.get("en")
    assert f'<td class="picked">{name}</td>' in after.replace("&#39;", "'")
    pdf = c.get(reverse("assessment-pdf", args=[done.pk]))
    pypdf = pytest.importorskip("pypdf")
    content = flat(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages))
    assert "Action plan" in content and squash(row.title) in squash(content)


def test_the_firms_page_and_its_data_export_carry_the_plan(org_a, planned) -> None:
    """The firm's page shows the plan's progress; "Export all data" includes every action; erasing
    the firm erases its plans."""
    first = rows(planned)[0]
    org_a.client().post(reverse("plan-action", args=[first.pk]), {"status": "done", "owner": "Luc", "due": "",
                                                                   "chosen": ""})
    page = text(org_a.client().get(reverse("firm-detail", args=[org_a.firm.pk])))
    assert f"(1/{planned.actions.count()})" in page
    data = json.loads(org_a.client().get(reverse("firm-export", args=[org_a.firm.pk])).content)
    exported = data["assessments"][0]["plan"]
    assert len(exported) == planned.actions.count()
    assert {a["key"]: (a["status"], a["owner"]) for a in exported}[first.key] == ("done", "Luc")
    org_a.client().post(reverse("firm-erase", args=[org_a.firm.pk]), {"confirm_name": org_a.firm.name})
    assert not ActionPlan.objects.filter(pk=planned.pk).exists()
    assert not PlanAction.objects.filter(plan_id=planned.pk).exists()


def test_the_plan_through_the_api(org_a, done, planned) -> None:
    """GET /api/assessments/{id}/plan gives the stored plan as the core's ActionPlan (what
    ``innexport plan --out plan.json`` writes); 404 naming the reason when there is none."""
    from innexport.support.plans import ActionPlan as CorePlan
    from innexport.web.api import create_token

    first = rows(planned)[0]
    org_a.client().post(reverse("plan-action", args=[first.pk]), {"status": "done", "owner": "Luc", "due": "",
                                                                   "chosen": ""})
    auth = {"HTTP_AUTHORIZATION": f"Bearer {create_token(org_a.analyst, 'read')}"}
    response = Client().get(f"/api/assessments/{done.pk}/plan", **auth)
    assert response.status_code == 200
    plan = CorePlan.model_validate_json(response.content)
    assert [a.id for a in plan.actions] == [a.id for a in expected_plan(done).actions]
    assert plan.action(first.key).status == "done" and plan.action(first.key).owner == "Luc"
    assert plan.content_hash == done.framework.content_hash
    other = completed(org_a, done.framework)
    response = Client().get(f"/api/assessments/{other.pk}/plan", **auth)
    assert response.status_code == 404 and "no action plan yet" in response.json()["detail"]
