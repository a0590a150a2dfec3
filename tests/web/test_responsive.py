"""The advisor's pages on a phone, a tablet and a desktop, in the three languages, and their accessibility.

Playwright drives Debian's chromium (``tests/web/browser.py``) against the live application, one
browser for the module. An advisor of a chamber with a long name (the widest header: every menu
entry, an administrator's and a staff member's) opens every page of the daily work — the login
page, the firm list, a firm, the new-firm form, a questionnaire page, the results, the embedded
report, the action plan, the follow-up, the portfolio, the programmes and one of them, the
frameworks and one of them, the API tokens, the audit log, and the director's private link — at
390 px (a phone), 768 px (a tablet) and 1280 px (a laptop) in English, French and Spanish, and
the first test asserts:

* no horizontal scrolling of the page: ``document.documentElement.scrollWidth`` is at most the
  viewport's width (+1 px of rounding), wide tables scroll inside their own container (issue 11:
  the menu needed 606 px, the firm list 672 px, the plan table 1,012 px on a 390 px phone);
* at 1280 px the header is one row in every language (the brand, the menu and the user's box
  share one line);
* axe-core (``axe_playwright_python``, axe-core 4.x, the WCAG 2.0/2.1 A and AA rules) finds no
  violation of impact "serious" or "critical" on any page nor on the report (each one listed in the
  failure message: rule, impact, the elements);
* "Skip to content" is the first Tab stop of every page and moves the focus to ``<main id=content>``,
  the one ``<main>``; every ``<nav>`` is named.

The second one, in French on a phone then a laptop: the menu is one button that opens and closes
(Escape gives the focus back to it), a row of links after the brand on a laptop; "Download PDF"
shows a busy state and a ``role=status`` text while the PDF is made, then saves it under the
server's name; that PDF is tagged (PDF/UA-1: structure tree with headings, tables and header
cells, ``/MarkInfo /Marked true``, language, title shown); the portfolio's brief is a
progress-showing download too.

References: WCAG 2.1 (https://www.w3.org/TR/WCAG21/): 1.4.10 Reflow (no two-dimensional scrolling
at 320 CSS px), 1.4.3 Contrast (4.5:1), 1.4.1 Use of colour, 2.4.1 Bypass blocks, 2.4.7 Focus
visible, 4.1.3 Status messages; axe-core rule descriptions (https://dequeuniversity.com/rules/axe/4.10).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from pathlib import Path

import pypdf
import pytest
from django.contrib.auth.models import User

from innexport.web import services
from innexport.web.catalogues import catalogue_for
from innexport.web.models import Assessment, Firm, Membership, Organisation, Role

from .browser import launch, screenshot
from .conftest import PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


WIDTHS = (390, 768, 1280)
LANGS = ("en", "fr", "es")
AXE_WIDTH = {"en": 390, "fr": 768, "es": 1280}
AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
BLOCKING = {"serious", "critical"}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORGANISATION = "Chambre de commerce et d'industrie de Nouvelle-Aquitaine"


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def chamber(db) -> dict[str, str]:
    """A chamber, its administrator (also staff: the widest menu), a firm with two completed
    diagnostics (the second one with an action plan) and a draft, six Chilean firms diagnosed once;
    the pages' paths by name."""
    services.register_builtin_frameworks()
    org = Organisation.objects.create(name=ORGANISATION)
    user = User.objects.create_user("marie-dominique.lefebvre", password=PASSWORD, first_name="Marie-Dominique",
                                    last_name="Lefebvre", is_staff=True)
    Membership.objects.create(user=user, organisation=org, role=Role.ADMIN, language="en")
    firm = Firm.objects.create(organisation=org, name="Domaine des Coteaux de la Garonne", country="FR",
                               region="Nouvelle-Aquitaine", sector="11.02", size_class="small", created_by=user)
    version = next(v for v in services.published_frameworks() if v.modules == ["wine"])
    fw = services.framework_of(version)

    def diagnose(of: Firm, day: dt.date, shift: int) -> Assessment:
        a = Assessment.objects.create(organisation=org, firm=of, framework=version, lang="en", assessed_on=day,
                                      created_by=user)
        answers = {}
        for i, o in enumerate(fw.observables):
            levels = fw.scale_by_id[o.scale].levels
            answers[o.id] = (levels[(i + shift) % len(levels)].code, None)
        services.save_answers(a, answers, user=user)
        services.score(a, complete=True)
        return a

    completed = [diagnose(firm, dt.date(2025, 11, 4), 0), diagnose(firm, dt.date(2026, 5, 4), 1)]
    for i in range(6):  # a portfolio with groups of five firms and more: its chart and tables are shown
        chilean = Firm.objects.create(organisation=org, name=f"Viñedos del Valle Central {i}", country="CL",
                                      region="Región de O'Higgins", sector="11.02", size_class="medium", created_by=user)
        diagnose(chilean, dt.date(2026, 4, 1 + i), 2 + i)
    services.make_plan(completed[-1], user)
    draft = Assessment.objects.create(organisation=org, firm=firm, framework=version, lang="en", created_by=user)
    services.open_share_link(draft, 14, user)
    draft.refresh_from_db()
    last = completed[-1].pk
    return {
        "firm list": "/firms/",
        "firm detail": f"/firms/{firm.pk}/",
        "new firm": "/firms/new/",
        "new diagnostic": f"/firms/{firm.pk}/assessments/new/",
        "questionnaire": f"/assessments/{draft.pk}/",
        "results": f"/assessments/{last}/results/",
        "report": f"/assessments/{last}/report.html",
        "plan": f"/assessments/{last}/plan/",
        "follow-up": f"/firms/{firm.pk}/compare/",
        "portfolio": "/portfolio/",
        "programmes": "/programmes/",
        "new programme": "/programmes/new/",
        "programme": f"/programmes/{catalogue_for(org).programmes[0].id}/",
        "frameworks": "/frameworks/",
        "framework": f"/frameworks/{version.pk}/",
        "tokens": "/account/tokens/",
        "audit": "/audit/",
        "private link": f"/s/{draft.share_token}/",  # the director's page (no menu): kept good on a phone
    }


def log_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "marie-dominique.lefebvre")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/firms/")


def overflow(page) -> str | None:
    """What makes the page scroll sideways (the widest elements), or None when it fits."""
    return page.evaluate("""() => {
        const doc = document.documentElement, w = window.innerWidth;
        if (doc.scrollWidth <= w + 1) return null;
        const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)
          .filter(e => e.checkVisibility() && !e.closest('.table-scroll'))
          .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' +
            e.className.trim().split(/\\s+/).join('.') : '') + ' → ' + Math.round(e.getBoundingClientRect().right));
        return `scrollWidth ${doc.scrollWidth} > ${w}: ` + wide.join(', ');
    }""")


def header_rows(page) -> int:
    """How many rows the header's visible controls take (1: brand, menu, language and account on one line)."""
    return page.evaluate("""() => {
        const items = [...document.querySelectorAll('header.top :is(a, select, summary, button)')]
          .filter(e => e.checkVisibility() && e.getBoundingClientRect().width > 0)
          .map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; }).sort((a, b) => a - b);
        return items.length ? 1 + items.filter((y, i) => i > 0 && y - items[i - 1] > 12).length : 0;
    }""")


def skip_link_problems(page, name: str) -> list[str]:
    """The first Tab stop must be "Skip to content", visible when focused, and it must move the focus to <main>
    (unless the page starts with the focus in <main> already: the login form's user name)."""
    problems = []
    landmarks = page.evaluate("() => [document.querySelectorAll('main').length, "
                              "document.querySelectorAll('nav:not([aria-label])').length]")
    if landmarks != [1, 0]:
        problems.append(f"{name}: {landmarks[0]} <main> (one expected), {landmarks[1]} <nav> without aria-label")
    if page.evaluate("() => !!document.activeElement.closest('main#content')"):
        return problems
    page.keyboard.press("Tab")
    first = page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect();
        return {cls: e.className, href: e.getAttribute('href'), text: e.textContent.trim(), top: r.top, h: r.height}; }""")
    if first["cls"] != "skip-link" or first["href"] != "#content":
        return [*problems, f"{name}: the first Tab stop is {first}, not the skip link"]
    if not (first["top"] >= 0 and first["h"] > 0):
        problems.append(f"{name}: the focused skip link is not on screen ({first})")
    page.keyboard.press("Enter")
    focused = page.evaluate("() => [document.activeElement.tagName, document.activeElement.id]")
    if focused != ["MAIN", "content"]:
        problems.append(f"{name}: the skip link moved the focus to {focused}, not to <main id=content>")
    return problems


def serious(results) -> list[str]:
    """The serious and critical violations of an axe-core run, one line each."""
    lines = []
    for v in results.response["violations"]:
        if v["impact"] in BLOCKING:
            targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:4])
            lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements: {targets})")
    return lines


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_advisor_page_fits_and_is_accessible(live_server, browser, chamber) -> None:
    base = live_server.url
    axe = axe_module.Axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    started = time.monotonic()
    for width in WIDTHS:  # the login page, before signing in
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/accounts/login/")
        problems += [f"login ({width} px): {found}" for found in [overflow(page)] if found]
        problems += skip_link_problems(page, "login")
        problems += [f"login ({width} px) axe: {line}" for line in serious(axe.run(page, options=AXE_OPTIONS))]
    log_in(page, base)
    user = User.objects.get(username="marie-dominique.lefebvre")
    for lang in LANGS:
        Membership.objects.filter(user=user).update(language=lang)
        for name, path in chamber.items():
            page.set_viewport_size({"width": 1280, "height": 900})
            response = page.goto(base + path)
            assert response is not None and response.ok, f"{name} ({lang}): HTTP {response and response.status}"
            if name == "firm list":  # the interface's language (a diagnostic's pages may be in the diagnostic's)
                assert page.locator("html").get_attribute("lang") == lang
            if lang == "en" and name != "report":
                problems += skip_link_problems(page, name)
            if name not in ("report", "private link"):
                if header_rows(page) != 1:
                    problems.append(f"{name} ({lang}, 1280 px): the header takes {header_rows(page)} rows")
                if page.locator("details.menu > summary").is_visible():
                    problems.append(f"{name} ({lang}, 1280 px): the menu is folded into its button")
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                found = overflow(page)
                if found:
                    problems.append(f"{name} ({lang}, {width} px): {found}")
                    screenshot(page, f"responsive-{name.replace(' ', '-')}-{lang}-{width}")
                if width == AXE_WIDTH[lang]:  # axe on every page, in each language at one of the widths
                    for line in serious(axe.run(page, options=AXE_OPTIONS)):
                        problems.append(f"{name} ({lang}, {width} px) axe: {line}")
    print(f"{len(LANGS) * len(chamber) + 3} pages in {time.monotonic() - started:.1f} s")
    assert not problems, "\n".join(problems)
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_menu_folds_on_a_phone_and_the_pdf_download_shows_progress(live_server, browser, chamber, tmp_path) -> None:
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True, locale="fr-FR")
    page = context.new_page()
    log_in(page, base)
    Membership.objects.filter(user__username="marie-dominique.lefebvre").update(language="fr")

    # on a phone the menu is one button; opened, its links and the account's are there, and it still fits
    page.goto(base + chamber["firm list"])
    summary = page.locator("details.menu > summary")
    portfolio = page.get_by_role("link", name="Portefeuille")
    assert summary.is_visible() and summary.inner_text().strip() == "Menu"
    assert not portfolio.is_visible()
    summary.click()
    assert portfolio.is_visible() and page.get_by_role("link", name="Jetons d'API").is_visible()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert overflow(page) is None
    page.keyboard.press("Escape")
    assert not portfolio.is_visible()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"

    # on a laptop the menu is one row: its links are Tab stops right after the brand, the account a disclosure
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not summary.is_visible() and portfolio.is_visible()
    page.locator("body").focus()
    page.goto(base + chamber["firm list"])
    tabs = []
    for _ in range(4):
        page.keyboard.press("Tab")
        tabs.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert tabs == ["Aller au contenu", "innexport", "Entreprises", "Portefeuille"]
    log_out = page.get_by_role("button", name="Se déconnecter")
    assert not log_out.is_visible()
    page.locator("details.account > summary").click()
    assert log_out.is_visible()

    # "Télécharger le PDF": a busy link and a status while the PDF is made, then the file under its name
    page.goto(base + chamber["results"])
    link = page.locator("a[data-download][href$='report.pdf']")
    status = page.locator("a[data-download][href$='report.pdf'] + [role=status]")
    with page.expect_download(timeout=120_000) as info:
        link.click()
        page.wait_for_function("() => document.querySelector(\"a[href$='report.pdf']\").getAttribute('aria-busy') === 'true'")
        assert status.inner_text().startswith("Préparation du fichier")
    download = info.value
    page.wait_for_function("() => !document.querySelector(\"a[href$='report.pdf']\").hasAttribute('aria-busy')")
    assert download.suggested_filename.endswith(".pdf")
    assert status.inner_text() == f"Téléchargé\u00a0: {download.suggested_filename}"
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)

    # the PDF is tagged (PDF/UA-1)
    assert_tagged(pdf.read_bytes(), lang="en")

    # the portfolio's slow downloads are marked too
    page.goto(base + chamber["portfolio"])
    brief = page.locator("a[href*='brief.pdf']")
    assert brief.count() == 1 and brief.get_attribute("data-download") is not None
    context.close()


def structure_tags(reader: pypdf.PdfReader) -> set[str]:
    """The structure types (/H1, /Table, /TH…) of a tagged PDF's structure tree."""
    tags: set[str] = set()
    pending = [reader.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while pending:
        node = pending.pop()
        kids = node.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, pypdf.generic.DictionaryObject):
                if "/S" in kid:
                    tags.add(str(kid["/S"]))
                pending.append(kid)
    return tags


def assert_tagged(pdf: bytes, *, lang: str, tags_needed: frozenset[str] = frozenset({"/H1", "/H2", "/P", "/Table", "/TH", "/TD"})
                  ) -> None:
    """A tagged PDF (PDF/UA-1): structure tree with headings, paragraphs and tables with header cells,
    ``/MarkInfo /Marked true``, the document's language, its title shown, the PDF/UA claim in the XMP."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == lang and root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data().replace(b" ", b"")
    tags = structure_tags(reader)
    assert tags_needed <= tags, tags


def test_the_action_plan_pdf_is_tagged_in_the_plan_language() -> None:
    """Without a browser: a plan printed by :func:`innexport.rendering.documents.html_to_pdf` (every
    document's printer) is a tagged PDF in the plan's language (a Chilean firm's plan, in Spanish)."""
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed")
    import innexport
    from innexport.rendering.plan import plan_pdf
    from innexport.support.plans import build_plan

    result = innexport.diagnose(EXAMPLES / "cl-vina-cerro-alto.yaml")
    result = result[0] if isinstance(result, list) else result
    plan = build_plan(result, innexport.framework_of(result), start=dt.date(2026, 1, 5))
    assert_tagged(plan_pdf(plan, generated_on=dt.date(2026, 1, 5)), lang=result.lang,
                  tags_needed=frozenset({"/H1", "/P", "/Table", "/TH", "/TD"}))
    assert result.lang == "es"
