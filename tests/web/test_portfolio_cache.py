"""The portfolio page's cache (keyed on the organisation's last change, :func:`last_change`): never
stale — a new diagnostic, a changed firm, a changed or deleted plan, a deleted diagnostic show at
once — and a query count that does not grow with the firms."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
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


def test_the_stamp_ignores_the_drafts_being_answered(org_a, wine_framework) -> None:
    """A draft saved at every answer leaves the portfolio's cache alone; completing it does not."""
    add(org_a, wine_framework, "Domaine T")
    draft = add(org_a, wine_framework, "Domaine U")
    draft.status = AssessmentStatus.DRAFT
    draft.save()
    before = view.last_change(org_a.organisation)
    for value in (0.2, 0.3):
        draft.iiep = value
        draft.save()
        assert view.last_change(org_a.organisation) == before
    # completed, then a completed one back to draft while another is completed (same count): both seen
    draft.status = AssessmentStatus.COMPLETED
    draft.save()
    completed = view.last_change(org_a.organisation)
    assert completed != before
    draft.status = AssessmentStatus.DRAFT
    draft.save()
    third = add(org_a, wine_framework, "Domaine V")
    assert view.last_change(org_a.organisation) not in (before, completed)
    assert third.pk and figure(org_a.client("admin").get(reverse("portfolio")).content.decode(), "firms") == 2


def test_query_count_of_the_page_does_not_grow_with_the_firms(org_a, wine_framework) -> None:
    client = org_a.client("admin")
    add(org_a, wine_framework, "Domaine Q")
    client.get(reverse("portfolio"))  # the framework's text read once (then kept parsed in the process)
    counts = []
    for n in (10, 190):
        for i in range(n):
            add(org_a, wine_framework, f"Domaine Q{len(counts)}-{i}")
        with CaptureQueriesContext(connection) as cold:
            assert client.get(reverse("portfolio")).status_code == 200
        with CaptureQueriesContext(connection) as warm:
            assert client.get(reverse("portfolio")).status_code == 200
        counts.append((len(cold), len(warm)))
    # the same queries at 10 and 200 firms; a warm view skips the three reads of load_frame
    assert counts[0] == counts[1] and counts[0][1] == counts[0][0] - 3 and counts[0][0] <= 15


def test_analysts_plane_has_no_firm_name(org_a, wine_framework) -> None:
    for i in range(6):
        add(org_a, wine_framework, f"Domaine N{i}")
    assert "<title>Domaine N0</title>" in org_a.client("admin").get(reverse("portfolio")).content.decode()
    html = org_a.client("analyst").get(reverse("portfolio")).content.decode()
    assert html.count('class="dot"') == 6 and "Domaine" not in html


def _every_column(user, filters) -> pd.DataFrame:
    """The reference: every column of every diagnostic of the selection, read with the ORM (one row each,
    its firm's and its plan's columns joined): what load_frame's three reads must amount to."""
    rows = []
    for a in view.selection(user, filters).select_related("firm"):
        plan = ActionPlan.objects.filter(assessment=a).first()
        rows.append({
            "assessment": a.pk, "firm": a.firm_id, "name": a.firm.name, "assessed_on": a.assessed_on, "iip": a.iip,
            "iep": a.iep, "iiep": a.iiep, "class_iip": a.class_iip, "class_iep": a.class_iep, "class_iiep": a.class_iiep,
            "top_activities": a.top_activities, "dimension_scores": a.dimension_scores, "sector": a.firm.sector,
            "region": a.firm.region, "framework": a.framework_id, "supported": bool(plan and plan.supported),
            "programmes_proposed": plan.programmes_proposed if plan else None,
            "programmes_used": plan.programmes_used if plan else None})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("filters", [{}, {"to": dt.date(2025, 6, 30)}, {"sector": "10.1"}, {"from": dt.date(2025, 6, 2)}])
def test_the_three_reads_give_the_portfolio_of_every_column(org_a, wine_framework, filters) -> None:
    """Ties on a day (the larger id is the latest), a latest diagnostic outside the period, plans on
    earlier diagnostics (supported, programmes), a draft, a firm without sector: the portfolio of
    load_frame's frame (details on each firm's latest diagnostic only) is that of every column."""
    from innexport.portfolio.compute import portfolio

    days = ["2025-01-10", "2025-06-01", "2025-06-01", "2025-07-15"]
    made = []
    for i in range(8):
        first = add(org_a, wine_framework, f"Domaine R{i}", sector=["11.02", "10.1", ""][i % 3], day=days[i % 2],
                    value=0.1 * (i + 1))
        made.append(first)
        for k, day in enumerate(days[1 + i % 2:]):
            value = min(0.05 + 0.1 * i + 0.15 * (k + 1), 0.95)
            made.append(Assessment.objects.create(
                organisation=org_a.organisation, firm=first.firm, framework=wine_framework, lang="en",
                created_by=org_a.advisor, status=AssessmentStatus.COMPLETED if (i + k) % 5 else AssessmentStatus.DRAFT,
                assessed_on=dt.date.fromisoformat(day), iip=value, iep=value / 2, iiep=value,
                class_iip=["passive", "reactive", "preactive"][k % 3], class_iep="reactive",
                class_iiep=["passive", "reactive", "preactive"][(i + k) % 3],
                top_activities=[["net_weak_ties"], ["cus_feedback", "net_weak_ties"], []][(i + k) % 3],
                dimension_scores={"networks": value, "customer": 1 - value}))
    for j, a in enumerate(made[::2]):
        ActionPlan.objects.create(organisation=org_a.organisation, assessment=a, lang="en", created_by=org_a.advisor,
                                  actions_total=3, actions_done=j % 2, programmes_proposed=["fr_cir", "bpi_export"][: 1 + j % 2],
                                  programmes_used=["fr_cir"] if j % 3 == 0 else [])
    user = org_a.admin
    fws = view.frameworks_by_key([wine_framework.pk])
    fast = portfolio(view.load_frame(org_a.organisation, filters), fws)
    reference = portfolio(_every_column(user, filters), fws)
    assert fast.firms == reference.firms > 0 and fast.assessments == reference.assessments
    for name in ("points", "distribution", "cross", "activities", "programmes"):
        left, right = getattr(fast, name), getattr(reference, name)
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_index_type=False)
    for by in ("sector", "region"):
        pd.testing.assert_frame_equal(fast.groups(by).rows, reference.groups(by).rows, check_dtype=False)
    for g in ("supported", "comparison"):
        m, r = fast.movement(g), reference.movement(g)
        assert (m.firms, m.up, m.same, m.down, m.mean_delta) == (r.firms, r.up, r.same, r.down, r.mean_delta)


def test_an_unreadable_cache_costs_a_computation_not_the_page(org_a, wine_framework, settings, tmp_path,
                                                              caplog) -> None:
    """The cache is files that outlive the server: a damaged file is computed again (and said in the
    log), a cache folder that cannot be written leaves the page whole."""
    from django.core.cache import cache

    for i in range(2):
        add(org_a, wine_framework, f"Domaine U{i}")
    client, organisation = org_a.client("admin"), org_a.organisation
    assert figure(client.get(reverse("portfolio")).content.decode(), "firms") == 2
    key = view.cache_key(organisation, {}, view.last_change(organisation))
    assert view.kept(key) is not None
    with open(cache._key_to_file(key), "wb") as damaged:  # e.g. a disk error, a copy cut short
        damaged.write(b"\x00not a pickle")
    with caplog.at_level("WARNING", logger="innexport.web.views.portfolio"):
        assert figure(client.get(reverse("portfolio")).content.decode(), "firms") == 2
    assert "could not be read" in caplog.text
    assert view.kept(key) is not None  # written again

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    settings.CACHES = {"default": {"BACKEND": "innexport.web.filecache.PlainFileCache",
                                   "LOCATION": str(blocked / "cache")}}
    add(org_a, wine_framework, "Domaine U2")
    with caplog.at_level("WARNING", logger="innexport.web.views.portfolio"):
        response = client.get(reverse("portfolio"))
    assert response.status_code == 200 and figure(response.content.decode(), "firms") == 3
    assert "could not be written" in caplog.text


def test_the_cache_key_names_the_code_that_computed() -> None:
    """A portfolio pickled by another version of the computation is never read: the key holds a
    fingerprint of its source."""
    import hashlib
    from pathlib import Path

    from innexport.portfolio import compute, disclosure

    source = b"".join(Path(m.__file__).read_bytes() for m in (compute, disclosure))
    assert hashlib.sha256(source).hexdigest()[:16] == view.CODE

    class Org:
        pk = 1

    first = view.cache_key(Org(), {}, "stamp")
    view.CODE, kept_code = "0" * 16, view.CODE
    try:
        assert view.cache_key(Org(), {}, "stamp") != first
    finally:
        view.CODE = kept_code


def test_the_read_gives_every_value_exactly(org_a, wine_framework) -> None:
    """_read's values are the ORM's to the last bit (PostgreSQL's arrive as one JSON array per column):
    awkward doubles, a missing index, text with quotes and accents, lists and dicts, dates."""
    awkward = [0.1 + 0.2, 1 / 3, 5e-324, 0.9999999999999999, None]
    made = []
    for k, value in enumerate(awkward):
        a = add(org_a, wine_framework, f'Domaine "É{k}" \\ n', day=f"2025-0{k + 1}-0{k + 1}", value=0.5)
        Assessment.objects.filter(pk=a.pk).update(iip=value, top_activities=["net_weak_ties", "é\"x"][: k % 3],
                                                  dimension_scores={"networks": value, "customer": 1e-300})
        made.append(a.pk)
    qs = Assessment.objects.filter(pk__in=made).order_by()
    got = view._read(qs, view.LATEST_ROW)
    by_id = {int(i): k for k, i in enumerate(got["assessment"])}
    for a in Assessment.objects.filter(pk__in=made).select_related("firm"):
        k = by_id[a.pk]
        assert (np.isnan(got["iip"][k]) if a.iip is None else got["iip"][k] == a.iip), (a.iip, got["iip"][k])
        for name in ("top_activities", "dimension_scores"):
            value = got[name][k]
            assert (json.loads(value) if isinstance(value, str) else value) == getattr(a, name)
        assert got["name"][k] == a.firm.name
    every = view._read(qs, view.EVERY_ROW)
    assert sorted(str(d) for d in every["assessed_on"]) == sorted(str(a.assessed_on) for a in qs)
