"""The portfolio page, its XLSX and PDF brief: exact numbers on a seeded organisation, filters,
masking of small groups in the shared outputs, no firm name in the brief, tenant isolation,
read-only analysts, audit entries."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from innexport.portfolio import compute as core
from innexport.rendering import portfolio as shared
from innexport.web.models import ActionPlan, Assessment, AssessmentStatus, AuditEntry, Firm

pytestmark = pytest.mark.django_db

PRO, PRE, RE, PAS = "proactive", "preactive", "reactive", "passive"
A, B = "fr_bpi_aide_innovation", "fr_cir"
A_NAME = "Innovation development aid (Bpifrance)"
A_NAME_FR = "Aide pour le développement de l'innovation (Bpifrance)"


def firm(org, name: str, sector: str, region: str, size: str) -> Firm:
    return Firm.objects.create(organisation=org.organisation, name=name, country="FR", sector=sector, region=region,
                               size_class=size, created_by=org.advisor)


def diagnostic(org, framework, f: Firm, day: str, value: float, cls: str, *, top=(), by=None,
               status=AssessmentStatus.COMPLETED, plan: dict | None = None) -> Assessment:
    """A diagnostic with its summary columns set directly (the same class on the three indices)."""
    a = Assessment.objects.create(
        organisation=org.organisation, firm=f, framework=framework, lang="en", status=status,
        assessed_on=dt.date.fromisoformat(day), created_by=by or org.advisor,
        iip=value, iep=value, iiep=value, class_iip=cls, class_iep=cls, class_iiep=cls, top_activities=list(top),
        dimension_scores={"networks": value, "customer": value + 0.1, "ip": value - 0.05},
    )
    if plan is not None:
        ActionPlan.objects.create(organisation=org.organisation, assessment=a, **plan)
    return a


@pytest.fixture
def seeded(org_a, wine_framework):
    """Twelve firms of org A with completed diagnostics (and one draft, and one firm never diagnosed).

    Latest IIEP classes: proactive 6 (F4, F8–F12), preactive 3 (F1, F3, F7), reactive 2 (F2, F6), passive 1 (F5).
    Sectors: 11.02 F1–F6 (6), 10.1 F8–F12 (5), 01.21 F7 (1). Regions: Maule F1–F4, F7 (5), Ñuble F8–F12 (5),
    Biobío F5, F6 (2). Sizes: small F1–F3, micro F4–F7, medium F8–F12.
    """
    fw = wine_framework
    f = {}
    for i in range(1, 13):
        sector = "11.02" if i <= 6 else "01.21" if i == 7 else "10.1"
        region = "Biobío" if i in (5, 6) else "Ñuble" if i >= 8 else "Maule"
        size = "small" if i <= 3 else "micro" if i <= 7 else "medium"
        f[i] = firm(org_a, f"Domaine F{i:02d}", sector, region, size)
    top_all = ("net_weak_ties", "strat_global")
    # F1: supported (an action done, programme A used), then re-assessed: passive → preactive
    diagnostic(org_a, fw, f[1], "2025-01-10", 0.20, PAS, top=top_all,
               plan={"actions_total": 3, "actions_done": 1, "programmes_proposed": [A], "programmes_picked": [A],
                     "programmes_used": [A]})
    diagnostic(org_a, fw, f[1], "2025-09-01", 0.47, PRE, top=top_all)
    # F2: a plan proposing A and B, nothing done, re-assessed: reactive → reactive (comparison group)
    diagnostic(org_a, fw, f[2], "2025-02-01", 0.32, RE, top=("net_weak_ties",),
               plan={"actions_total": 2, "actions_done": 0, "programmes_proposed": [A, B]})
    diagnostic(org_a, fw, f[2], "2025-10-01", 0.34, RE, top=top_all)
    diagnostic(org_a, fw, f[3], "2025-03-01", 0.50, PRE, top=top_all)
    diagnostic(org_a, fw, f[3], "2025-11-01", 0.90, PRO, status=AssessmentStatus.DRAFT)  # a draft: not counted
    diagnostic(org_a, fw, f[4], "2025-03-05", 0.68, PRO, top=top_all)
    diagnostic(org_a, fw, f[5], "2025-04-01", 0.15, PAS, top=top_all, by=org_a.admin)
    diagnostic(org_a, fw, f[6], "2025-05-01", 0.35, RE, top=("net_weak_ties", "ip_protection"))
    diagnostic(org_a, fw, f[7], "2024-06-01", 0.43, PRE, top=("net_weak_ties",))
    for i in range(8, 13):
        diagnostic(org_a, fw, f[i], "2025-06-01", 0.80, PRO, top=(*top_all, "skills_languages"),
                   plan={"actions_total": 1, "programmes_proposed": [A]})
    return f


def page(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def figure(html: str, key: str) -> int:
    return int(re.search(rf'id="n-{key}">(\d+)<', html).group(1))


def row_cells(html: str, attr: str, value: str) -> list[str]:
    """The numbers of the row ``<tr data-attr="value">`` as text (markers kept as †), after its label."""
    row = re.search(rf'<tr data-{attr}="{re.escape(value)}">(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return cells if "<th>" in row else cells[1:]


def pdf_text(response) -> str:
    from pypdf import PdfReader

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)


def sheet_rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def table_after(rows: list[list], first_header: str) -> list[list]:
    """The rows of the table whose header row starts with ``first_header``."""
    start = max(i for i, r in enumerate(rows) if r and r[0] == first_header)  # after the filters written on top
    out = []
    for r in rows[start + 1:]:
        if not r or r[0] is None:
            break
        out.append(r)
    return out


# --- the page --------------------------------------------------------------------------------------------


def test_page_shows_the_organisations_exact_numbers(org_a, seeded) -> None:
    html = page(org_a.client("admin").get(reverse("portfolio")))
    assert figure(html, "firms") == 12 and figure(html, "assessments") == 14 and figure(html, "multi") == 2
    # distribution (unmasked here), marked where the shared outputs hide it
    assert row_cells(html, "class", PRO) == ["6", "6", "6"]
    assert row_cells(html, "class", PRE) == ["3†", "3†", "3†"]
    assert row_cells(html, "class", RE) == ["2†", "2†", "2†"]
    assert row_cells(html, "class", PAS) == ["1†", "1†", "1†"]
    # top priorities: counted once per firm, on its latest diagnostic only
    assert row_cells(html, "activity", "net_weak_ties") == ["12", "100%"]
    assert row_cells(html, "activity", "strat_global") == ["10†", "83%"]  # the 2 firms without it are a small group
    assert row_cells(html, "activity", "skills_languages") == ["5", "42%"]
    assert row_cells(html, "activity", "ip_protection") == ["1†", "8%"]
    # programmes, by number of firms, with their names from the catalogue
    assert row_cells(html, "programme", A) == ["7"]  # proposed to F1, F2, F8–F12 (the first table)
    assert A_NAME in html
    # gaps: sector 11.02 = F1–F6, mean IIEP (0.47 + 0.34 + 0.50 + 0.68 + 0.15 + 0.35) / 6 = 0.415
    assert row_cells(html, "sector", "11.02")[:4] == ["6", "0.42", "0.42", "0.42"]
    # mean gap of 11.02: F1 0.61−0.47, F2 0.41−0.34, F3 0.61−0.50, F4 0, F5 0.29−0.15, F6 0.41−0.35 → 0.52 / 6;
    # weakest dimension: ip (each firm's value − 0.05)
    assert row_cells(html, "sector", "11.02")[4:] == ["0.09", "Intellectual property (0.37)"]
    assert row_cells(html, "sector", "01.21")[0] == "1†" and row_cells(html, "sector", "10.1")[0] == "5†"
    # movement: F1 supported passive → preactive (up), F2 not supported reactive → reactive (same)
    assert row_cells(html, "row", "firms") == ["1†", "1†"]
    assert row_cells(html, "row", "up") == ["1†", "0†"]  # two firms in all: every part of them is hidden
    assert row_cells(html, "row", "same") == ["0†", "1†"]
    assert row_cells(html, "row", "mean_delta") == ["+0.27†", "+0.02†"]
    # the plane: one dot per firm, coloured by class, with the firm's name as tooltip (the organisation's own page)
    assert html.count('class="dot"') == 12 and "<title>Domaine F05</title>" in html


def test_filters_by_sector_region_size_advisor_and_period(org_a, seeded) -> None:
    client = org_a.client("advisor")

    def firms(**params) -> tuple[int, int]:
        html = page(client.get(reverse("portfolio"), params))
        return figure(html, "firms"), figure(html, "assessments")

    assert firms(sector="11.02") == (6, 8)
    assert firms(region="Biobío") == (2, 2)
    assert firms(size="micro") == (4, 4)
    assert firms(advisor=org_a.admin.pk) == (1, 1)
    assert firms(**{"from": "2025-03-01"}) == (11, 11)
    assert 'value="2025-03-01"' in page(client.get(reverse("portfolio"), {"from": "2025-03-01"}))
    assert firms(to="2025-02-15") == (3, 3)
    assert firms(sector="11.02", size="small", to="2025-05-01") == (3, 3)
    # the period moves the latest diagnostic: until 2025-02-15, F1 is passive (its first diagnostic)
    html = page(client.get(reverse("portfolio"), {"to": "2025-02-15"}))
    assert row_cells(html, "class", PAS) == ["1†", "1†", "1†"] and row_cells(html, "class", PRE) == ["1†", "1†", "1†"]


def test_bad_filters_are_refused_naming_the_field(org_a, org_b, seeded) -> None:
    client = org_a.client()
    response = client.get(reverse("portfolio"), {"advisor": org_b.advisor.pk})  # not a member of org A
    assert response.status_code == 400 and b"errorlist" in response.content
    response = client.get(reverse("portfolio-xlsx"), {"advisor": org_b.advisor.pk})
    assert response.status_code == 400 and response.content.decode().startswith("Bad filter: advisor:")
    response = client.get(reverse("portfolio-brief"), {"from": "2025-13-01"})
    assert response.status_code == 400 and "from:" in response.content.decode()
    response = client.get(reverse("portfolio-xlsx"), {"from": "2025-06-01", "to": "2025-01-01"})
    assert response.status_code == 400
    assert "to: The end of the period (2025-01-01) is before its start (2025-06-01)." in response.content.decode()
    response = client.get(reverse("portfolio"), {"size": "giant"})
    assert response.status_code == 400


# --- the shared outputs ------------------------------------------------------------------------------------


def test_xlsx_is_masked_with_the_filters_on_top(org_a, seeded) -> None:
    response = org_a.client("admin").get(reverse("portfolio-xlsx"), {"size": "", "from": "2024-01-01"})
    assert response.status_code == 200
    today = dt.date.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="innexport-portfolio-chamber-a-{today}.xlsx"'
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Summary", "Classes", "IIP × IEP", "Priorities", "By sector", "By region", "Programmes",
                             "Movement"]
    for ws in wb.worksheets:  # the organisation, the date and every filter at the top of every sheet
        rows = sheet_rows(ws)
        assert rows[1][:2] == ["Organisation", "Chamber A"]
        filters = {r[0]: r[1] for r in rows[4:10]}
        assert filters == {"Sector": "all", "Region": "all", "Size": "all", "Advisor": "all",
                           "Diagnostics from": "2024-01-01", "Diagnostics until": "all"}
    summary = {r[0]: r[1] for r in sheet_rows(wb["Summary"]) if r and r[0]}
    assert summary["Firms"] == 12 and summary["Completed diagnostics"] == 14
    assert summary["Firms with at least two diagnostics in the period"] == "masked"  # 2 firms
    classes = table_after(sheet_rows(wb["Classes"]), "Class")
    assert classes == [["Proactive", 6, 6, 6], ["Preactive", "masked", "masked", "masked"],
                       ["Reactive", "masked", "masked", "masked"], ["Passive", "masked", "masked", "masked"]]
    priorities = {r[1]: r[2] for r in table_after(sheet_rows(wb["Priorities"]), "Activity")}
    assert priorities["net_weak_ties"] == 12 and priorities["skills_languages"] == 5
    assert priorities["strat_global"] == "masked" and priorities["ip_protection"] == "masked"
    # sectors: 01.21 (1 firm) is not named, only counted in "Other", which is masked; then 10.1 (the smallest
    # other group) is masked too, or Other would be 12 − 6 − 5 = 1
    sectors = table_after(sheet_rows(wb["By sector"]), "Sector")
    assert [r[:3] for r in sectors] == [["10.1", "masked", "masked"], ["11.02", 6, pytest.approx(0.415)],
                                        ["Other (groups of fewer than 5 firms)", "masked", "masked"]]
    regions = [r[0] for r in table_after(sheet_rows(wb["By region"]), "Region")]
    assert "Biobío" not in regions and regions[-1] == "Other (groups of fewer than 5 firms)"
    programmes = {r[1]: r[2:4] for r in table_after(sheet_rows(wb["Programmes"]), "Programme")}
    assert programmes[A] == [7, "masked"] and programmes[B] == ["masked", 0]
    movement = sheet_rows(wb["Movement"])
    summary_rows = [r for r in movement if r and r[0] == "Firms"]
    assert all(r for r in summary_rows)
    assert not any(isinstance(v, int) and 0 < v < 5 for r in movement for v in r[1:] if r and r[0] != "Firms")
    names = {f.name for f in seeded.values()}
    assert not any(isinstance(v, str) and v in names for ws in wb.worksheets for r in sheet_rows(ws) for v in r)


def test_brief_is_masked_in_the_users_language_and_names_no_firm(org_a, seeded) -> None:
    org_a.admin.membership.language = "fr"
    org_a.admin.membership.save()
    response = org_a.client("admin").get(reverse("portfolio-brief"))
    assert response["Content-Disposition"].startswith('attachment; filename="innexport-portfolio-chamber-a-')
    text = pdf_text(response)
    assert "Note de portefeuille" in text and "Chamber A" in text and "masqué" in text
    assert "Répartition des classes" in text and A_NAME_FR in text
    for f in seeded.values():
        assert f.name not in text
    assert "Chamber A Winery" not in text
    assert "Biobío" not in text and "01.21" not in text  # groups of fewer than 5 firms are not named


def test_brief_html_has_no_firm_name_nor_point(org_a, seeded) -> None:
    """The HTML the brief is printed from: the plane is the class table, with masked cells."""
    from innexport.web.views import portfolio as view

    frame = view.load_frame(org_a.organisation, {})
    fws = view.frameworks_of(frame)
    assert "name" in frame.columns and len(frame) == 14
    html = shared.brief_html(core.portfolio(frame, fws), fws, organisation="Chamber A", lang="en")
    assert "Domaine" not in html and "<circle" not in html
    assert html.count('class="cell masked-cell"') > 0


def test_other_organisations_see_none_of_these_firms(org_a, org_b, seeded) -> None:
    html = page(org_b.client("admin").get(reverse("portfolio")))
    assert figure(html, "firms") == 0 and figure(html, "assessments") == 0 and "Domaine" not in html
    wb = load_workbook(io.BytesIO(org_b.client("analyst").get(reverse("portfolio-xlsx")).content))
    summary = {r[0]: r[1] for r in sheet_rows(wb["Summary"]) if r and r[0]}
    assert summary["Firms"] == 0 and summary["Completed diagnostics"] == 0 and summary["Organisation"] == "Agency B"
    assert not any("Domaine" in str(v) for ws in wb.worksheets for r in sheet_rows(ws) for v in r)
    assert "No completed diagnostic matches these filters." in pdf_text(org_b.client("admin").get(reverse("portfolio-brief")))
    # org A's sector or advisor as a filter in org B: not one of its choices
    assert org_b.client().get(reverse("portfolio"), {"region": "Maule"}).status_code == 400
    assert org_b.client().get(reverse("portfolio"), {"advisor": org_a.advisor.pk}).status_code == 400


def test_analyst_can_view_and_download_and_exports_are_audited(org_a, seeded) -> None:
    client = org_a.client("analyst")
    assert client.get(reverse("portfolio")).status_code == 200
    assert client.get(reverse("portfolio-xlsx"), {"sector": "11.02"}).status_code == 200
    assert client.get(reverse("portfolio-brief")).status_code == 200
    entries = list(AuditEntry.objects.filter(organisation=org_a.organisation, action="export").order_by("at"))
    assert [(e.user, e.object_type, e.object_id, e.description) for e in entries] == [
        (org_a.analyst, "organisation", str(org_a.organisation.pk), "portfolio XLSX (sector=11.02)"),
        (org_a.analyst, "organisation", str(org_a.organisation.pk), "portfolio PDF brief"),
    ]


def test_login_is_required(client) -> None:
    for name in ("portfolio", "portfolio-xlsx", "portfolio-brief"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login" in response["Location"]


# --- several framework versions (regression: 500 once diagnostics used both shipped frameworks) -------------


@pytest.fixture
def two_versions(org_a, frameworks):
    """Six firms of sector 11.02 / region Maule: F1–F3 diagnosed with ``iiep``, F4–F6 with ``iiep + wine``
    (F1 on both: ``iiep`` first, then ``iiep + wine``, its latest)."""
    plain = next(f for f in frameworks if f.framework_id == "iiep" and f.modules == [])
    wine = next(f for f in frameworks if f.modules == ["wine"])
    f = {i: firm(org_a, f"Domaine V{i}", "11.02", "Maule", "small") for i in range(1, 7)}
    diagnostic(org_a, plain, f[1], "2025-01-10", 0.20, PAS, top=("net_weak_ties",))
    diagnostic(org_a, wine, f[1], "2025-06-01", 0.50, PRE, top=("net_weak_ties", "wine_tourism"))
    for i in (2, 3):
        diagnostic(org_a, plain, f[i], "2025-02-01", 0.50, PRE, top=("net_weak_ties",))
    for i in (4, 5, 6):
        diagnostic(org_a, wine, f[i], "2025-03-01", 0.70, PRO, top=("net_weak_ties", "wine_tourism"))
    return f


def test_page_xlsx_and_brief_work_with_both_shipped_frameworks(org_a, two_versions) -> None:
    client = org_a.client("admin")
    html = page(client.get(reverse("portfolio")))
    assert figure(html, "firms") == 6 and figure(html, "assessments") == 7
    assert row_cells(html, "activity", "net_weak_ties") == ["6", "100%"]
    assert row_cells(html, "activity", "wine_tourism") == ["4†", "67%"]
    # sector 11.02: mean IIEP (0.5·3 + 0.7·3) / 6 = 0.6; weakest dimension ip (each firm's value − 0.05): 0.55
    assert row_cells(html, "sector", "11.02")[:4] == ["6", "0.60", "0.60", "0.60"]
    assert row_cells(html, "sector", "11.02")[5] == "Intellectual property (0.55)"
    assert html.count('data-sector="') == 1
    response = client.get(reverse("portfolio-xlsx"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    sector_rows = sheet_rows(wb["By sector"])
    header = [r for r in sector_rows if r and r[0] == "Sector"][-1]  # after the filters written on top
    dimensions = [v for v in header[7:] if v is not None]
    assert len(dimensions) == len(set(dimensions)) == 11 and "Intellectual property" in dimensions
    line = table_after(sector_rows, "Sector")[0]
    assert line[:2] == ["11.02", 6] and line[6] == "Intellectual property"
    priorities = {r[1]: r[2] for r in table_after(sheet_rows(wb["Priorities"]), "Activity")}
    assert priorities["net_weak_ties"] == 6 and priorities["wine_tourism"] == "masked"
    text = pdf_text(client.get(reverse("portfolio-brief")))
    assert "Portfolio brief" in text and "Intellectual property" in text and "Domaine" not in text
