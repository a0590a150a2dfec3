"""A firm's sector: picked by its NACE code or its name in any language, saved as the code, refused
otherwise with a "did you mean" — in the web form and the JSON API (which posts through the same form)."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from innexport.web.api import create_token
from innexport.web.models import Firm, Membership

try:  # the browser test's fixtures; without Playwright, only that test is skipped
    from .test_browser import advisor, browser, log_in, playwright  # noqa: F401 - pytest fixtures used by name
except pytest.skip.Exception:
    @pytest.fixture
    def browser():
        pytest.skip("playwright is not installed")

    advisor = browser

pytestmark = pytest.mark.django_db


def speak(org, lang: str, who: str = "advisor") -> None:
    Membership.objects.filter(user=getattr(org, who)).update(language=lang)


def post_firm(org, sector: str, name: str = "Viña Nueva"):
    return org.client().post(reverse("firm-create"), {"name": name, "country": "CL", "sector": sector})


def api(org) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(org.advisor, 'sector-test')}")


@pytest.mark.parametrize(("typed", "saved"), [
    ("11.02", "11.02"), ("1102", "11.02"), ("C1102", "11.02"), ("C11", "11"), ("a", "A"),
    ("Elaboración de vinos", "11.02"), ("elaboracion de vinos", "11.02"), ("Production de vin (de raisin)", "11.02"),
    ("Growing of grapes", "01.21"), ("11.02 — Manufacture of wine from grape", "11.02"), ("", ""),
])
def test_the_form_saves_the_code_of_a_code_or_a_name(org_a, typed, saved) -> None:
    response = post_firm(org_a, typed)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Firm.objects.get(name="Viña Nueva").sector == saved


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_form_refuses_anything_else_naming_the_field_with_suggestions(org_a, lang) -> None:
    speak(org_a, lang)
    response = post_firm(org_a, "vino tinto")
    assert response.status_code == 400 and not Firm.objects.filter(name="Viña Nueva").exists()
    errors = response.context["form"].errors
    assert list(errors) == ["sector"]
    message = errors["sector"][0]
    assert {"en": "“vino tinto”", "es": "«vino tinto»"}[lang] in message
    suggestion = {"en": "11.02 — Manufacture of wine from grape", "es": "11.02 — Elaboración de vinos"}[lang]
    assert suggestion in message
    if lang == "es":
        assert message.startswith("Sector desconocido") and "¿Quiso decir" in message
    assert suggestion in html.unescape(response.content.decode())


def test_the_form_offers_the_sectors_named_in_the_screens_language(org_a) -> None:
    speak(org_a, "fr")
    page = org_a.client().get(reverse("firm-edit", args=[org_a.firm.pk])).content.decode()
    box = re.search(r'<input[^>]*name="sector"[^>]*>', page).group(0)
    assert 'list="id_sector-choices"' in box
    assert 'value="11.02 — Production de vin (de raisin)"' in html.unescape(box)  # the saved code, named
    datalist = page[page.index('<datalist id="id_sector-choices">'):page.index("</datalist>")]
    assert datalist.count("<option") == 996
    assert '<option value="01.21 — Culture de la vigne">' in html.unescape(datalist)
    # saved back unchanged as its code
    response = org_a.client().post(reverse("firm-edit", args=[org_a.firm.pk]),
                                   {"name": org_a.firm.name, "country": "FR", "sector": "11.02 — Production de vin (de raisin)"})
    assert response.status_code == 302
    org_a.firm.refresh_from_db()
    assert org_a.firm.sector == "11.02"


def test_a_sector_saved_before_the_check_is_kept_until_changed(org_a) -> None:
    Firm.objects.filter(pk=org_a.firm.pk).update(sector="vinos finos")
    c = org_a.client()
    assert c.post(reverse("firm-edit", args=[org_a.firm.pk]),
                  {"name": org_a.firm.name, "country": "FR", "sector": "vinos finos", "region": "Maule"}).status_code == 302
    org_a.firm.refresh_from_db()
    assert org_a.firm.sector == "vinos finos" and org_a.firm.region == "Maule"
    response = c.post(reverse("firm-edit", args=[org_a.firm.pk]),
                      {"name": org_a.firm.name, "country": "FR", "sector": "vinos muy finos"})
    assert response.status_code == 400 and "sector" in response.context["form"].errors


def test_the_list_and_the_detail_name_the_sector_and_the_filter_reads_codes_and_names(org_a) -> None:
    Firm.objects.create(organisation=org_a.organisation, name="Viñedo Alto", country="CL", sector="01.21")
    Firm.objects.create(organisation=org_a.organisation, name="Cervecería", country="CL", sector="11.05")
    speak(org_a, "es")
    c = org_a.client()
    page = c.get(reverse("firm-list")).content.decode()
    assert "<td>11.02 — Elaboración de vinos</td>" in page and "<td>01.21 — Cultivo de la vid</td>" in page
    detail = c.get(reverse("firm-detail", args=[org_a.firm.pk])).content.decode()
    assert "11.02 — Elaboración de vinos" in detail

    def names(**query) -> set[str]:
        return {f.name for f in c.get(reverse("firm-list"), query).context["page"]}

    assert names(sector="11.02") == {"Chamber A Winery"}
    assert names(sector="Elaboración de vinos") == {"Chamber A Winery"}
    assert names(sector="C11") == {"Chamber A Winery", "Cervecería"}  # a division keeps its classes
    assert names(sector="A") == {"Viñedo Alto"}


def test_the_api_saves_codes_and_names_and_refuses_the_rest_with_400_json(org_a) -> None:
    client = api(org_a)
    response = client.post("/api/firms", json.dumps({"name": "Viña Nueva", "country": "Chile",
                                                     "sector": "Elaboración de vinos"}), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["sector"] == "11.02" and response.json()["country"] == "CL"
    firm_id = response.json()["id"]

    response = client.post("/api/firms", json.dumps({"name": "Otra", "country": "CL", "sector": "vino tinto"}),
                           content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body["errors"]) == ["sector"] and "sector:" in body["detail"]
    assert "“vino tinto”" in body["detail"] and "11.02 — Manufacture of wine from grape" in body["detail"]
    assert not Firm.objects.filter(name="Otra").exists()

    response = client.patch(f"/api/firms/{firm_id}", json.dumps({"sector": "01.21"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["sector"] == "01.21"
    response = client.patch(f"/api/firms/{firm_id}", json.dumps({"sector": "A11"}), content_type="application/json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["sector"]
    assert Firm.objects.get(pk=firm_id).sector == "01.21"

    listed = client.get("/api/firms", {"sector": "Cultivo de la vid"}).json()
    assert [f["name"] for f in listed["items"]] == ["Viña Nueva"]
    assert {f["name"] for f in client.get("/api/firms", {"sector": "A"}).json()["items"]} == {"Viña Nueva"}


def test_the_portfolio_names_its_sector_groups_and_choices(org_a) -> None:
    speak(org_a, "fr", who="admin")
    form = org_a.client("admin").get(reverse("portfolio")).context["form"]
    assert ("11.02", "11.02 — Production de vin (de raisin)") in form.fields["sector"].choices


# --- in a real browser (Playwright, Debian's chromium): the fixtures of test_browser.py -----------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_chilean_advisor_picks_chile_and_a_wine_sector_in_the_browser(live_server, browser, advisor) -> None:
    Membership.objects.filter(user=advisor).update(language="es")
    base = live_server.url
    context = browser.new_context(locale="es-CL")
    page = context.new_page()
    log_in(page, base, "claire")
    page.goto(f"{base}/firms/new/")
    options = page.locator("#id_sector-choices option")
    assert options.count() == 996
    assert "11.02 — Elaboración de vinos" in page.eval_on_selector_all(
        "#id_sector-choices option", "os => os.map(o => o.value)")
    page.fill("#id_name", "Viña del Maule")
    page.select_option("#id_country", label="Chile")
    page.fill("#id_sector", "vino tinto")
    page.click("form.card button[type=submit]")
    error = page.inner_text("#id_sector ~ .errorlist, .errorlist")
    assert "«vino tinto»" in error and "11.02 — Elaboración de vinos" in error
    page.fill("#id_sector", "11.02 — Elaboración de vinos")  # the option of the list, as picking it writes it
    page.click("form.card button[type=submit]")
    page.wait_for_selector("h1:has-text('Viña del Maule')")
    assert "11.02 — Elaboración de vinos" in page.inner_text("main")
    firm = Firm.objects.get(name="Viña del Maule")
    assert (firm.country, firm.sector) == ("CL", "11.02")
    context.close()
