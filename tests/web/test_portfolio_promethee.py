"""The portfolio's PROMETHEE II ranking and GAIA plane (page ``portfolio/promethee/`` and
``GET /api/portfolio/promethee``): the same net flows as :mod:`innexport.core.promethee` on the same
matrix (each firm's latest completed diagnostic), filters, pages, masking for read-only analysts,
bad parameters (400, never 500), and a query count that does not grow with the firms."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from innexport.core import promethee
from innexport.web import services
from innexport.web.api import create_token
from innexport.web.models import Assessment, AssessmentStatus, Firm

pytestmark = pytest.mark.django_db

URL = "/portfolio/promethee/"
API = "/api/portfolio/promethee"


def make_firms(org, version, n: int, *, seed: int = 7, sector: str = "11.02", start: int = 0) -> dict[int, np.ndarray]:
    """``n`` firms of ``org`` with one completed diagnostic each (every dimension of ``version``'s
    framework scored), made in bulk; returns each firm's id → its scores (in the framework's order)."""
    fw = services.framework_of(version)
    dims = [d.id for d in fw.dimensions]
    rng = np.random.default_rng(seed)
    firms = Firm.objects.bulk_create([
        Firm(organisation=org.organisation, name=f"Domaine P{start + i:03d}", country="FR", sector=sector,
             region="Maule", size_class="small", created_by=org.advisor) for i in range(n)])
    scores = rng.integers(0, 21, (n, len(dims))) / 20  # ties on purpose: the usual function's 0s
    Assessment.objects.bulk_create([
        Assessment(organisation=org.organisation, firm=f, framework=version, lang="en", created_by=org.advisor,
                   status=AssessmentStatus.COMPLETED, assessed_on=dt.date(2025, 6, 1), iip=0.5, iep=0.5, iiep=0.5,
                   class_iip="reactive", class_iep="reactive", class_iiep="reactive",
                   dimension_scores=dict(zip(dims, scores[k].tolist(), strict=True)))
        for k, f in enumerate(firms)])
    return {f.pk: scores[k] for k, f in enumerate(firms)}


@pytest.fixture
def ranked(org_a, wine_framework):
    """Eight firms of sector 11.02 with every score; F0 also has an *older* diagnostic with other
    scores (not ranked: the latest is), a draft of F1 with other scores (not counted), and one
    firm lacking a dimension score (left out)."""
    made = make_firms(org_a, wine_framework, 8)
    fw = services.framework_of(wine_framework)
    dims = [d.id for d in fw.dimensions]
    first, second = list(made)[:2]
    for pk, day, status in ((first, "2024-01-01", AssessmentStatus.COMPLETED), (second, "2026-01-01", AssessmentStatus.DRAFT)):
        Assessment.objects.create(organisation=org_a.organisation, firm_id=pk, framework=wine_framework, lang="en",
                                  created_by=org_a.advisor, status=status, assessed_on=dt.date.fromisoformat(day),
                                  dimension_scores=dict.fromkeys(dims, 1.0))
    lacking = Firm.objects.create(organisation=org_a.organisation, name="Domaine Sans", country="FR", sector="11.02",
                                  created_by=org_a.advisor)
    Assessment.objects.create(organisation=org_a.organisation, firm=lacking, framework=wine_framework, lang="en",
                              created_by=org_a.advisor, status=AssessmentStatus.COMPLETED,
                              assessed_on=dt.date(2025, 6, 1), dimension_scores={dims[0]: 0.5})
    return made, fw


def api(org, who: str = "advisor"):
    from django.test import Client

    return Client(headers={"Authorization": f"Bearer {create_token(getattr(org, who))}"})


def expected(made: dict[int, np.ndarray], fw, pref: promethee.Preference) -> dict[int, float]:
    ids = list(made)
    flows = promethee.net_flows(np.array([made[i] for i in ids]), fw.dimension_weights(), pref)
    return dict(zip(ids, flows.tolist(), strict=True))


# --- values -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "pref"), [
    ({}, promethee.Preference("usual")),
    ({"function": "vshape", "p": "0.3"}, promethee.Preference("vshape", p=0.3)),
    ({"function": "linear", "q": "0.1", "p": "0.4"}, promethee.Preference("linear", q=0.1, p=0.4)),
    ({"function": "linear"}, promethee.Preference("linear", q=0.05, p=0.2)),  # the default thresholds
])
def test_api_net_flows_equal_the_cores_on_the_same_matrix(org_a, ranked, params, pref) -> None:
    made, fw = ranked
    response = api(org_a).get(API, params)
    assert response.status_code == 200, response.content
    body = response.json()
    want = expected(made, fw, pref)
    got = {r["firm"]: r["net_flow"] for r in body["results"]}
    assert got.keys() == want.keys()  # the latest diagnostics only; the firm lacking a score left out
    assert got == pytest.approx(want, abs=1e-12)
    assert body["count"] == 8 and body["selected"] == 9 and body["left_out"] == 1
    assert (body["function"], body["q"], body["p"]) == (pref.kind, pref.q, pref.p)
    # ranks: best first, 1 = the largest net flow
    flows = [r["net_flow"] for r in body["results"]]
    assert flows == sorted(flows, reverse=True) and body["results"][0]["rank"] == 1
    # GAIA: the core's plane of the same flows
    ids = list(made)
    plane = promethee.gaia(promethee.unicriterion_flows(np.array([made[i] for i in ids]), pref), fw.dimension_weights())
    assert body["delta"] == pytest.approx(plane.delta) and body["stick"] == pytest.approx(plane.stick.tolist())
    assert [c["id"] for c in body["criteria"]] == [d.id for d in fw.dimensions]
    assert sum(c["weight"] for c in body["criteria"]) == pytest.approx(1.0)
    assert body["results"][0]["name"].startswith("Domaine P")


def test_page_shows_the_ranking_the_plane_and_delta(org_a, ranked) -> None:
    made, fw = ranked
    response = org_a.client("admin").get(URL, {"function": "linear", "q": "0.1", "p": "0.4"})
    assert response.status_code == 200
    html = response.content.decode()
    want = expected(made, fw, promethee.Preference("linear", q=0.1, p=0.4))
    best = max(want, key=lambda k: (want[k], -k))
    first_row = re.search(r'<tr data-firm="(\d+)"><td class="num">(\d+)</td>', html)
    assert int(first_row.group(1)) == best and first_row.group(2) == "1"
    assert html.count('<tr data-firm="') == 8 and 'id="n-left-out">1<' in html
    assert html.count('class="dot"') == 8 and html.count('class="criterion"') == len(fw.dimensions)
    assert 'class="stick"' in html and "<title>Domaine P000</title>" in html  # names as tooltips (own page)
    assert 'role="img"' in html and "GAIA" in html
    # the portfolio page links here with its filters
    assert f'href="{URL}?sector=11.02"' in org_a.client().get(reverse("portfolio"), {"sector": "11.02"}).content.decode()


def test_page_in_french_uses_french_numbers(org_a, ranked) -> None:
    org_a.admin.membership.language = "fr"
    org_a.admin.membership.save()
    html = org_a.client("admin").get(URL).content.decode()
    assert "Classement des entreprises (PROMETHEE II)" in html
    html = html.replace("&#x27;", "'")
    for text in ("Fonction de préférence", "Seuil d'indifférence q", "Plan GAIA", "Flux net", "Axe de décision π",
                 "Information conservée par le plan GAIA (δ)", "Survolez un point pour voir l'entreprise."):
        assert text in html, text
    assert re.search(r"Le plan conserve \d+,\d\s?% de l'information", html)
    assert re.search(r'<td class="num">[+−-]?0,\d{3}</td>', html)


# --- filters and pages ------------------------------------------------------------------------------------


def test_filters_select_the_firms_ranked(org_a, ranked, wine_framework) -> None:
    _made, fw = ranked
    other = make_firms(org_a, wine_framework, 5, seed=3, sector="10.1", start=100)
    client = api(org_a)
    both = client.get(API).json()
    assert both["count"] == 13
    only = client.get(API, {"sector": "10.1"}).json()
    assert {r["firm"] for r in only["results"]} == set(other)
    assert {r["firm"]: r["net_flow"] for r in only["results"]} == pytest.approx(
        expected(other, fw, promethee.Preference()), abs=1e-12)
    # the period moves the latest diagnostic: until 2024-12-31, only F0's older one (all scores 1.0) is there
    early = client.get(API, {"to": "2024-12-31"}).json()
    assert early["count"] == 0 and early["selected"] == 1 and "at least 2" in early["detail"]


def test_pages_keep_the_filters(org_a, wine_framework) -> None:
    make_firms(org_a, wine_framework, 60)
    client = org_a.client("admin")
    html = client.get(URL, {"sector": "11.02", "function": "vshape", "p": "0.25"}).content.decode()
    assert html.count('<tr data-firm="') == 50 and 'id="page-number">1 / 2<' in html
    link = re.search(r'<a rel="next" href="\?([^"#]+)#ranking"', html).group(1).replace("&amp;", "&")
    assert sorted(link.split("&")) == ["function=vshape", "p=0.25", "page=2", "sector=11.02"]
    second = client.get(URL + "?" + link).content.decode()
    assert second.count('<tr data-firm="') == 10 and 'rel="prev"' in second
    ranks = [int(x) for x in re.findall(r'<tr data-firm="\d+"><td class="num">(\d+)</td>', second)]
    assert ranks == sorted(ranks) and ranks[0] >= 45
    # past the last page: the last page (as Django's paginators do)
    assert client.get(URL, {"page": "9"}).content.decode().count('<tr data-firm="') == 10
    body = api(org_a).get(API, {"limit": "25", "offset": "50"}).json()
    assert len(body["results"]) == 10 and body["next"] is None and "offset=25" in body["previous"]


# --- masking --------------------------------------------------------------------------------------------------


def test_analysts_see_no_firm_name(org_a, ranked) -> None:
    html = org_a.client("analyst").get(URL).content.decode()
    assert 'id="masked-note"' in html and "Domaine" not in html and "<title>" not in html.split("<svg", 1)[1].split(
        "</svg>")[0].replace("<title>GAIA", "")
    assert html.count('<tr data-firm="') == 8 and html.count('class="dot"') == 8
    body = api(org_a, "analyst").get(API).json()
    assert body["masked"] is True and len(body["results"]) == 8
    assert all("name" not in r for r in body["results"]) and "Domaine" not in str(body)


def test_analysts_see_nothing_under_five_firms(org_a, wine_framework) -> None:
    make_firms(org_a, wine_framework, 4)
    html = org_a.client("analyst").get(URL).content.decode()
    assert 'id="promethee-none"' in html and "Fewer than 5 firms" in html and "<svg" not in html.split('id="promethee-none"')[1]
    body = api(org_a, "analyst").get(API).json()
    assert body["results"] == [] and body["delta"] is None and body["criteria"] == [] and "fewer than 5" in body["detail"]
    # the organisation's own members see their four firms ranked
    assert len(api(org_a, "admin").get(API).json()["results"]) == 4


def test_other_organisations_firms_are_never_ranked(org_a, org_b, ranked) -> None:
    body = api(org_b).get(API).json()
    assert body["count"] == 0 and body["results"] == []
    assert "Domaine" not in org_b.client().get(URL).content.decode()


# --- bad parameters ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "field"), [
    ({"function": "gaussian"}, "function"),
    ({"function": "linear", "q": "0.3", "p": "0.2"}, "q"),
    ({"function": "vshape", "p": "0"}, "p"),
    ({"q": "abc"}, "q"),
    ({"p": "2"}, "p"),
    ({"page": "0"}, "page"),
    ({"sector": "99.99"}, "sector"),
    ({"from": "2025-13-01"}, "from"),
])
def test_bad_parameters_are_refused_naming_the_field(org_a, ranked, params, field) -> None:
    response = org_a.client().get(URL, params)
    assert response.status_code == 400 and b"errorlist" in response.content
    if field != "page":
        response = api(org_a).get(API, params)
        assert response.status_code == 400 and response.json()["detail"].startswith(f"{field}:")


def test_bad_paging_and_unknown_parameters_of_the_api(org_a, ranked) -> None:
    client = api(org_a)
    for params, start in (({"limit": "0"}, "limit:"), ({"offset": "-1"}, "offset:"), ({"limit": "x"}, "limit:"),
                          ({"page": "2"}, "page: unknown parameter"), ({"colour": "red"}, "colour: unknown")):
        response = client.get(API, params)
        assert response.status_code == 400 and response.json()["detail"].startswith(start), params
    assert api(org_a).get(API, {"offset": "500"}).json()["results"] == []


def test_login_and_token_are_required(client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert client.get(API).status_code == 401


# --- queries ------------------------------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_the_firms(org_a, wine_framework) -> None:
    client = org_a.client("admin")
    counts = []
    for n in (10, 190):  # 10, then 200 firms
        make_firms(org_a, wine_framework, n, start=len(counts) * 1000)
        client.get(URL)  # warm: frameworks parsed once per process
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"function": "linear"}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


@pytest.mark.parametrize("n", [10, 200])
def test_query_count_is_bounded(org_a, wine_framework, django_assert_max_num_queries, n) -> None:
    make_firms(org_a, wine_framework, n)
    client = org_a.client("admin")
    client.get(URL)
    with django_assert_max_num_queries(10):
        assert client.get(URL, {"function": "vshape", "p": "0.3"}).status_code == 200


def test_a_new_diagnostic_is_ranked_at_once(org_a, ranked, wine_framework) -> None:
    """The latest scores are cached under the organisation's last change: never stale."""
    client = api(org_a)
    assert client.get(API).json()["count"] == 8
    assert client.get(API, {"function": "vshape", "p": "0.3"}).json()["count"] == 8  # the same scores, reused
    made = make_firms(org_a, wine_framework, 2, seed=11, start=200)
    body = client.get(API).json()
    assert body["count"] == 10 and set(made) <= {r["firm"] for r in body["results"]}
