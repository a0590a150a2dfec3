"""The follow-up page (firms/<pk>/compare/): what moved between two diagnostics of a firm, the actions
of its plans done in between and the programmes used — numbers worked out by hand on the mini
framework of tests/fixtures/mini.yaml — and no access across organisations."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

from innexport.web import services
from innexport.web.models import ActionPlan, ActionStatus, Assessment, LocalProgramme, PlanAction

pytestmark = pytest.mark.django_db

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"

BOTTOM = {"q1": "no", "q2": "never", "q3": "no", "q4": "no", "q5": "never"}
# tests/test_scoring.py works these answers out by hand: a_joint = 5/6, a_inn = 0, a_exp = 1/2,
# IIP = 5/12 (0.42, preactive), IEP = 2/3 (0.67, proactive), IIEP = 11/24 (0.46, preactive);
# quadrant: innovative exporter (both indices above the preactive threshold 0.41).
HAND = {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}

LOCAL = {
    "id": "reg_wine_export_fund", "name": {"fr": "Fonds régional export vin", "es": "Fondo regional de exportación de vino",
                                           "en": "Regional wine export fund"},
    "operator": "Région Grand Est", "country": "FR", "region": "Grand Est", "kind": "grant", "scope": "export",
    "activities": ["export_partners"], "url": "https://example.org/fund", "source": "https://example.org/fund",
    "description": {"fr": "Aide", "es": "Ayuda", "en": "Grant"},
}


@pytest.fixture
def mini_framework(frameworks):
    return services.framework_version_from_texts(MINI.read_text(encoding="utf-8"), [], published=True)


def completed(org, framework, day: str, answers: dict[str, str]) -> Assessment:
    a = Assessment.objects.create(organisation=org.organisation, firm=org.firm, framework=framework, lang="en",
                                  assessed_on=dt.date.fromisoformat(day), created_by=org.advisor)
    for qid, code in answers.items():
        services.save_answer(a, qid, code)
    services.score(a, complete=True)
    a.refresh_from_db()
    return a


def make_plan(org, assessment: Assessment, actions: list[dict]) -> ActionPlan:
    plan = ActionPlan.objects.create(organisation=org.organisation, assessment=assessment, lang="en",
                                     created_by=org.advisor)
    for k, fields in enumerate(actions):
        PlanAction.objects.create(plan=plan, position=k, key=fields.pop("key", f"a{k}"), **fields)
    plan.refresh_summary()
    return plan


@pytest.fixture
def history(org_a, mini_framework):
    """Three diagnostics of org A's firm (2024-01-15 at the bottom, 2024-07-01, 2025-01-15 answered
    as HAND), a plan on each; the first plan has done, ongoing and dropped actions with programmes."""
    builtin = services.builtin_catalogue().programmes
    first = completed(org_a, mini_framework, "2024-01-15", BOTTOM)
    middle = completed(org_a, mini_framework, "2024-07-01", BOTTOM)
    last = completed(org_a, mini_framework, "2025-01-15", HAND)
    LocalProgramme.objects.create(organisation=org_a.organisation, programme_id=LOCAL["id"], data=LOCAL)
    make_plan(org_a, first, [
        dict(key="q1", activity="a_joint", activity_name="Joint", title="Write the joint plan", owner="Ana Pérez",
             status=ActionStatus.DONE, done_on=dt.date(2024, 3, 1), proposed=[builtin[0].id],
             chosen=[builtin[0].id, "zz_retired_programme"]),
        dict(key="q4", activity="a_exp", activity_name="Export", title="Find an importer", status=ActionStatus.DONE,
             done_on=dt.date(2024, 5, 2), chosen=[LOCAL["id"]]),
        dict(key="q3", activity="a_inn", activity_name="Innovation", title="Build a prototype",
             status=ActionStatus.DONE, done_on=dt.date(2024, 6, 3)),
        dict(key="q2", activity="a_joint", title="Meet three customers", status=ActionStatus.DOING,
             chosen=[builtin[1].id]),
        dict(key="q5", activity="a_exp", title="Abandoned idea", status=ActionStatus.DROPPED, chosen=[builtin[2].id]),
    ])
    make_plan(org_a, middle, [dict(key="q1", activity="a_joint", title="Middle action", status=ActionStatus.DONE,
                                   done_on=dt.date(2024, 9, 9))])
    make_plan(org_a, last, [dict(key="q3", activity="a_inn", title="Later action", status=ActionStatus.DONE,
                                 done_on=dt.date(2025, 2, 2))])
    return first, middle, last, builtin


def page_of(client, org, first: Assessment, last: Assessment) -> str:
    response = client.get(reverse("firm-compare", args=[org.firm.pk]), {"a": first.pk, "b": last.pk})
    assert response.status_code == 200
    return response.content.decode()


def deltas(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="delta (\w+)">([^<]+)</span>', html)


def section(html: str, title: str) -> str:
    """The part of the page from the heading ``title`` to the next heading."""
    start = html.index(f"<h2>{title}</h2>")
    end = html.find("<h2>", start + 4)
    return html[start:end if end > 0 else None]


def test_follow_up_shows_deltas_actions_done_and_programmes_used(org_a, history) -> None:
    first, _middle, last, builtin = history
    html = page_of(org_a.client(), org_a, first, last)
    # indices: IIP 0 → 5/12, IEP 0 → 2/3, IIEP 0 → 11/24; each from passive to a better class
    assert deltas(html)[:3] == [("up", "+0.42"), ("up", "+0.67"), ("up", "+0.46")]
    assert html.count("▲ class up") == 3
    assert 'cls-passive">Passive<' in html and 'cls-preactive">Preactive<' in html and 'cls-proactive">Proactive<' in html
    assert "Neither innovation nor export structured yet" in html and "Innovative exporter" in html
    # activities, the ones that moved first: a_joint 0 → 5/6, a_exp 0 → 1/2, a_inn unchanged at 0
    table = html.split('<table class="activities-compare">')[1]
    assert deltas(table) == [("up", "+0.83"), ("up", "+0.50"), ("same", "0.00")]
    assert table.index(">Joint <") < table.index(">Export <") < table.index(">Innovation <")
    # the actions done in the plans of the first and middle diagnostics, not of the last one
    done = section(html, "Actions done")
    assert "4 of 6 actions done" in done
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", done, flags=re.S)
    assert [re.sub(r"<div.*", "", r.split("</td>")[0], flags=re.S).strip() for r in rows] == [
        "Write the joint plan", "Find an importer", "Build a prototype", "Middle action"]
    assert "Meet three customers" not in html and "Abandoned idea" not in html and "Later action" not in html
    joint_row, export_row, inn_row, middle_row = rows
    assert "March 1, 2024" in joint_row and "Ana Pérez" in joint_row and "▲ yes, up" in joint_row
    assert "May 2, 2024" in export_row and "▲ yes, up" in export_row
    assert "June 3, 2024" in inn_row and "no change" in inn_row and "yes, up" not in inn_row
    assert "Sept. 9, 2024" in middle_row and "▲ yes, up" in middle_row
    # programmes used: picked on done actions (names from the catalogue, local ones included; an
    # unknown id as it is); picked on an ongoing action: not used yet; on a dropped one: neither
    used = section(html, "Programmes used")
    names = re.findall(r"<li>(?:<a [^>]*>)?([^<]+)", used.split('class="programmes used">')[1].split("</ul>")[0])
    assert names == [builtin[0].name["en"], "zz_retired_programme", "Regional wine export fund"]
    waiting = used.split('class="programmes picked">')[1].split("</ul>")[0]
    assert builtin[1].name["en"] in waiting and builtin[2].name["en"] not in html
    assert f'href="{builtin[0].url}"' in used
    # the trajectory of all three diagnostics, the compared ones highlighted
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert svg.count('class="earlier compared"') == 1 and svg.count('class="earlier"') == 1
    assert svg.count('<circle class="firm"') == 1 and svg.count('marker-end="url(#trajectory-head)"') == 1


def test_default_pair_counts_only_the_plans_between_them(org_a, history) -> None:
    # ``history`` saved three diagnostics with their plans; with no pair given, the page compares the latest two
    response = org_a.client().get(reverse("firm-compare", args=[org_a.firm.pk]))  # the latest two
    html = response.content.decode()
    assert response.status_code == 200
    done = section(html, "Actions done")
    assert "Middle action" in done and "Write the joint plan" not in done and "Later action" not in done
    assert "1 of 1 action done" in done
    assert "No programme picked for a done action." in html


def test_no_plan_says_so(org_a, mini_framework) -> None:
    completed(org_a, mini_framework, "2024-01-15", BOTTOM)
    completed(org_a, mini_framework, "2025-01-15", HAND)
    html = org_a.client().get(reverse("firm-compare", args=[org_a.firm.pk])).content.decode()
    assert "No action plan was made from the earlier diagnostic" in html
    assert deltas(html)[:3] == [("up", "+0.42"), ("up", "+0.67"), ("up", "+0.46")]


def test_in_spanish(org_a, history) -> None:
    from innexport.web.models import Membership

    first, _middle, last, builtin = history
    Membership.objects.filter(user=org_a.advisor).update(language="es")
    html = page_of(org_a.client(), org_a, first, last)
    assert deltas(html)[:3] == [("up", "+0,42"), ("up", "+0,67"), ("up", "+0,46")]
    assert "Fondo regional de exportación de vino" in html and builtin[0].name["es"] in html


def test_analyst_reads_the_follow_up(org_a, history) -> None:
    first, _middle, last, builtin = history
    html = page_of(org_a.client("analyst"), org_a, first, last)
    assert "Write the joint plan" in html and builtin[0].name["en"] in html


@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
def test_other_organisation_gets_404(org_a, org_b, history, who) -> None:
    first, _middle, last, _builtin = history
    url = reverse("firm-compare", args=[org_a.firm.pk])
    for query in ({}, {"a": first.pk, "b": last.pk}):
        response = org_b.client(who).get(url, query)
        assert response.status_code == 404
        assert "Write the joint plan" not in response.content.decode()
    # nor on its own firm with org A's diagnostics
    own = reverse("firm-compare", args=[org_b.firm.pk])
    assert org_b.client(who).get(own, {"a": first.pk, "b": last.pk}).status_code == 404
