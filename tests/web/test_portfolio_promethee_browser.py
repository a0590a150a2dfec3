"""The PROMETHEE II / GAIA page in a real browser (Debian's chromium through Playwright): axe-core finds
no serious or critical violation (WCAG 2.0/2.1 A and AA, the rules of ``test_responsive``) in English,
French and Spanish, for an advisor and for a read-only analyst; the page does not scroll sideways on
a phone; the plane is drawn without JavaScript (the SVG is in the HTML) and the analyst's has no firm
name; the pages of the ranking keep the filters."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import User

from innexport.web.models import Membership, Organisation, Role

from .browser import launch
from .conftest import PASSWORD
from .test_portfolio_promethee import make_firms

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


class _Org:
    def __init__(self, organisation, advisor, analyst) -> None:
        self.organisation, self.advisor, self.analyst = organisation, advisor, analyst


@pytest.fixture
def chamber(db):
    from innexport.web import services

    versions = services.register_builtin_frameworks()
    wine = next(v for v in versions if v.modules == ["wine"])
    org = Organisation.objects.create(name="Cámara de Comercio de Mendoza")
    users = {}
    for role in (Role.ADVISOR, Role.ANALYST):
        user = User.objects.create_user(f"mendoza-{role}", password=PASSWORD)
        Membership.objects.create(user=user, organisation=org, role=role, language="en")
        users[role] = user
    made = _Org(org, users[Role.ADVISOR], users[Role.ANALYST])
    make_firms(made, wine, 60)
    return made


def serious(results) -> list[str]:
    return [f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements)" for v in results.response["violations"]
            if v["impact"] in BLOCKING]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/firms/")


def test_promethee_page_is_accessible_in_three_languages(live_server, browser, chamber) -> None:
    base = live_server.url
    axe = axe_module.Axe()
    problems: list[str] = []
    for who in ("advisor", "analyst"):
        user = getattr(chamber, who)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
        page = context.new_page()
        log_in(page, base, user.username)
        for lang in ("en", "fr", "es"):
            Membership.objects.filter(user=user).update(language=lang)
            response = page.goto(f"{base}/portfolio/promethee/?function=linear&q=0.05&p=0.25&sector=11.02")
            assert response is not None and response.ok
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("svg.gaia").count() == 1 and page.locator("svg.gaia circle.dot").count() == 60
            names = page.locator("svg.gaia circle.dot title").count()
            assert names == (60 if who == "advisor" else 0), (who, names)
            problems += [f"{who} ({lang}) axe: {line}" for line in serious(axe.run(page, options=AXE_OPTIONS))]
            page.set_viewport_size({"width": 390, "height": 844})
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > 391:
                problems.append(f"{who} ({lang}, 390 px): the page scrolls sideways ({width} px)")
            page.set_viewport_size({"width": 1280, "height": 900})
        # the next page keeps the filters and the preference function
        page.click("a[rel=next]")
        page.wait_for_load_state("load")
        assert "page=2" in page.url and "sector=11.02" in page.url and "function=linear" in page.url
        assert page.locator("table.ranking tbody tr").count() == 10
        context.close()
    assert not problems, "\n".join(problems)


def test_the_plane_needs_no_javascript(live_server, browser, chamber) -> None:
    base = live_server.url
    signed_in = browser.new_context()
    log_in(signed_in.new_page(), base, chamber.advisor.username)
    context = browser.new_context(java_script_enabled=False, storage_state=signed_in.storage_state())
    signed_in.close()
    page = context.new_page()
    page.goto(f"{base}/portfolio/promethee/")
    assert page.locator("svg.gaia g.stick").count() == 1 and page.locator("table.criteria tbody tr").count() > 2
    context.close()
