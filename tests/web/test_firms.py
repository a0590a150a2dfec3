"""Firms: list, search, create, edit, export, erase — and no access across organisations."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from innexport.web.models import AuditEntry, Firm

pytestmark = pytest.mark.django_db


def test_login_required(client, org_a) -> None:
    response = client.get(reverse("firm-list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_list_search_and_filters(org_a) -> None:
    Firm.objects.create(organisation=org_a.organisation, name="Bodega Sur", country="AR", region="Mendoza",
                        size_class="micro")
    c = org_a.client()
    page = c.get(reverse("firm-list")).content.decode()
    assert "Chamber A Winery" in page and "Bodega Sur" in page
    page = c.get(reverse("firm-list"), {"q": "mendoza"}).content.decode()
    assert "Bodega Sur" in page and "Chamber A Winery" not in page
    page = c.get(reverse("firm-list"), {"country": "FR"}).content.decode()
    assert "Bodega Sur" not in page and "Chamber A Winery" in page


def test_create_edit_and_audit(org_a) -> None:
    c = org_a.client()
    data = {"name": "Viña Nueva", "country": "cl", "region": "Maule", "sector": "11.02", "size_class": "medium",
            "year_founded": "1999", "export_share": "60", "rd_intensity": "1.5", "contact": "ana@example.org"}
    response = c.post(reverse("firm-create"), data)
    firm = Firm.objects.get(name="Viña Nueva")
    assert response.status_code == 302 and firm.country == "CL" and firm.organisation == org_a.organisation
    response = c.post(reverse("firm-edit", args=[firm.pk]), {**data, "region": "Colchagua"})
    assert response.status_code == 302
    firm.refresh_from_db()
    assert firm.region == "Colchagua"
    actions = list(AuditEntry.objects.filter(object_type="firm", object_id=str(firm.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["change", "create"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("country", "Atlantis", "Unknown country “Atlantis”: pick it in the list"),
    ("export_share", "120", "between 0 and 100"),
    ("year_founded", "20", "between 1000 and 2100"),
    ("name", "chamber a winery", "already has a firm of this name"),
    ("name", "", "This field is required"),
])
def test_bad_firm_forms_save_nothing(org_a, field, value, message) -> None:
    c = org_a.client()
    before = Firm.objects.count()
    data = {"name": "Good name", "country": "FR", field: value}
    response = c.post(reverse("firm-create"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert Firm.objects.count() == before


def test_analyst_reads_but_cannot_change(org_a) -> None:
    c = org_a.client("analyst")
    assert c.get(reverse("firm-detail", args=[org_a.firm.pk])).status_code == 200
    assert c.get(reverse("firm-create")).status_code == 403
    assert c.post(reverse("firm-edit", args=[org_a.firm.pk]), {"name": "x", "country": "FR"}).status_code == 403
    assert c.post(reverse("firm-erase", args=[org_a.firm.pk]), {"confirm_name": org_a.firm.name}).status_code == 403
    assert Firm.objects.filter(pk=org_a.firm.pk).exists()


def test_export_and_erase(org_a, assessment) -> None:
    c = org_a.client()
    data = json.loads(c.get(reverse("firm-export", args=[org_a.firm.pk])).content)
    assert data["firm"]["name"] == "Chamber A Winery" and len(data["assessments"]) == 1
    assert c.post(reverse("firm-erase", args=[org_a.firm.pk]), {"confirm_name": "wrong"}).status_code == 302
    assert Firm.objects.filter(pk=org_a.firm.pk).exists()
    c.post(reverse("firm-erase", args=[org_a.firm.pk]), {"confirm_name": "Chamber A Winery"})
    assert not Firm.objects.filter(pk=org_a.firm.pk).exists()
    assert not type(assessment).objects.filter(pk=assessment.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_type="firm").exists()
    assert AuditEntry.objects.filter(action="export", object_type="firm").exists()


@pytest.mark.parametrize("route", ["firm-detail", "firm-edit", "firm-export"])
def test_other_organisations_firms_are_not_found(org_a, org_b, route) -> None:
    for who in ("admin", "advisor", "analyst"):
        assert org_b.client(who).get(reverse(route, args=[org_a.firm.pk])).status_code in (403, 404)
    assert org_b.client("advisor").post(reverse("firm-erase", args=[org_a.firm.pk]),
                                        {"confirm_name": org_a.firm.name}).status_code == 404
    assert "Chamber A Winery" not in org_b.client().get(reverse("firm-list")).content.decode()


def test_a_country_is_picked_by_its_name_and_stored_as_its_code(org_a) -> None:
    """Issue 11: typing "Chile" saved "CH" (Switzerland). The form lists the countries by name in the
    screen's language and stores the ISO code; a name in any language is read as its country."""
    from innexport.web.views.firms import FirmForm

    with translation.override("es"):
        html = str(FirmForm(organisation=org_a.organisation)["country"])
    assert '<option value="CL">Chile</option>' in html and '<option value="CH">Suiza</option>' in html
    for typed, code in (("Chile", "CL"), ("chili", "CL"), ("Suiza", "CH"), ("cl", "CL"), ("Émirats arabes unis", "AE")):
        form = FirmForm({"name": f"Firm {typed}", "country": typed, "size_class": "small"},
                        organisation=org_a.organisation)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["country"] == code
