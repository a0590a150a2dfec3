"""The portfolio page's cache (keyed on the organisation's last change, :func:`last_change`): never
stale — a new diagnostic, a changed firm, a changed or deleted plan, a deleted diagnostic show at
once — and a query count that does not grow with the firms."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from innexport.web.models import ActionPlan, Assessment, AssessmentStatus, Firm
from innexport.web.views import portfolio as view

pytestmark = pytest.mark.django_db


def figure(html: str, key: str) -> int:
    return int(re.search(rf'id="n-{key}">(\d+)<', html).group(1))


def add(org, version, name: str, *, sector: str = "11.02", day: str = "2025-06-01", value: float = 0.5) -> Assessment:
    f = Firm.objects.create(organisation=org.organisation, name=name, country="FR", sector=sector, region="Maule",
                            size_class="small", created_by=org.advisor)
    return Assessment.objects.create(
        organisation=org.organisation, firm=f, framework=version, lang="en", created_by=org.advisor,
        status=AssessmentStatus.COMPLETED, assessed_on=dt.date.fromisoformat(day), iip=value, iep=value, iiep=value,
        class_iip="reactive", class_iep="reactive", class_iiep="reactive", top_activities=["net_weak_ties"],
        dimension_scores={"networks": value})


def test_every_change_shows_at_once(org_a, wine_framework) -> None:
    client = org_a.client("admin")
    firms = [add(org_a, wine_framework, f"Domaine C{i}") for i in range(6)]
    html = client.get(reverse("portfolio")).content.decode()
    assert figure(html, "firms") == 6
    stamp = view.last_change(org_a.organisation)
    assert view.last_change(org_a.organisation) == stamp  # nothing changed: the same stamp (the cache is used)
    # a new diagnostic
    add(org_a, wine_framework, "Domaine C6")
    assert figure(client.get(reverse("portfolio")).content.decode(), "firms") == 7
    # a firm moved to another sector: its row in the gaps by sector
    moved = firms[0].firm
    moved.sector = "10.1"
    moved.save()
    html = client.get(reverse("portfolio")).content.decode()
    assert 'data-sector="10.1"' in html
    # a plan acted on (programmes proposed), then deleted
    plan = ActionPlan.objects.create(organisation=org_a.organisation, assessment=firms[1], actions_total=1,
                                     programmes_proposed=["fr_cir"])
    assert 'data-programme="fr_cir"' in client.get(reverse("portfolio")).content.decode()
    plan.delete()
    assert 'data-programme="fr_cir"' not in client.get(reverse("portfolio")).content.decode()
    # a deleted diagnostic (and the same number again with another firm: the latest change differs)
    firms[2].delete()
    assert figure(client.get(reverse("portfolio")).content.decode(), "firms") == 6
    add(org_a, wine_framework, "Domaine C7", value=0.9)
    html = client.get(reverse("portfolio")).content.decode()
    assert figure(html, "firms") == 7 and 'data-class="proactive"' in html
    # the filters are part of the key
    assert figure(client.get(reverse("portfolio"), {"sector": "10.1"}).content.decode(), "firms") == 1


def test_the_stamp_changes_with_a_change_of_status(org_a, wine_framework) -> None:
    a = add(org_a, wine_framework, "Domaine S")
    before = view.last_change(org_a.organisation)
    a.status = AssessmentStatus.DRAFT
    a.save()
    assert view.last_change(org_a.organisation) != before


def test_query_count_of_the_page_does_not_grow_with_the_firms(org_a, wine_framework) -> None:
    client = org_a.client("admin")
    counts = []
    for n in (10, 190):
        for i in range(n):
            add(org_a, wine_framework, f"Domaine Q{len(counts)}-{i}")
        with CaptureQueriesContext(connection) as cold:
            assert client.get(reverse("portfolio")).status_code == 200
        with CaptureQueriesContext(connection) as warm:
            assert client.get(reverse("portfolio")).status_code == 200
        counts.append((len(cold), len(warm)))
    assert counts[0] == counts[1] and counts[0][1] == counts[0][0] - 1 and counts[0][0] <= 12


def test_analysts_plane_has_no_firm_name(org_a, wine_framework) -> None:
    for i in range(6):
        add(org_a, wine_framework, f"Domaine N{i}")
    assert "<title>Domaine N0</title>" in org_a.client("admin").get(reverse("portfolio")).content.decode()
    html = org_a.client("analyst").get(reverse("portfolio")).content.decode()
    assert html.count('class="dot"') == 6 and "Domaine" not in html
