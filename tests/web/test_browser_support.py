"""From diagnosis to action, end to end in a real browser (Playwright driving Debian's chromium).

An advisor turns a completed diagnostic into an action plan, picks a support programme, marks
actions done, re-assesses the firm through the questionnaire and reads the follow-up (what moved,
the actions done, the programmes used); then the organisation's admin opens the portfolio and
downloads the PDF brief. Screenshots of each page are saved in ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.contrib.auth.models import User

from innexport.web import services
from innexport.web.models import ActionPlan, Assessment, AuditEntry, Firm, Membership, Organisation, Role

from .browser import screenshot
from .conftest import PASSWORD
from .test_browser import browser, fill_questionnaire, log_in, playwright  # noqa: F401 - pytest fixtures used by name

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRM = "Domaine des Essais"


@pytest.fixture
def chamber(db) -> Firm:
    """A chamber with an advisor (claire) and an admin (amelie), and a firm diagnosed in May,
    every answer at the bottom of its scale."""
    services.register_builtin_frameworks()
    org = Organisation.objects.create(name="CCI des Essais")
    for username, role in (("claire", Role.ADVISOR), ("amelie", Role.ADMIN)):
        user = User.objects.create_user(username, password=PASSWORD, first_name=username.title())
        Membership.objects.create(user=user, organisation=org, role=role, language="en")
    firm = Firm.objects.create(organisation=org, name=FIRM, country="FR", region="Nouvelle-Aquitaine",
                               sector="11.02", size_class="small")
    version = next(v for v in services.published_frameworks() if v.modules == ["wine"])
    first = Assessment.objects.create(organisation=org, firm=firm, framework=version, lang="en",
                                      assessed_on=dt.date(2026, 5, 4), created_by=User.objects.get(username="claire"))
    fw = services.framework_of(version)
    for o in fw.observables:
        services.save_answer(first, o.id, fw.scale_by_id[o.scale].levels[0].code)
    services.score(first, complete=True)
    return firm


def test_plan_programmes_done_reassess_follow_up_and_portfolio(live_server, browser, chamber) -> None:  # noqa: F811 - the imported fixture
    base = live_server.url
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    page = context.new_page()
    log_in(page, base, "claire")

    # the diagnostic of May → its action plan
    page.click(f"text={FIRM}")
    page.click("text=Action plan")
    page.wait_for_selector("text=Make the action plan")
    with page.expect_navigation():
        page.click("button:has-text('Make the action plan')")
    page.wait_for_selector("table.plan")
    plan = ActionPlan.objects.get(assessment__firm=chamber)
    assert plan.actions_total > 0 and plan.actions_done == 0
    screenshot(page, "10-action-plan")

    # pick a programme on the first action that proposes one and mark it done, mark a second action
    # done without a programme: one Save for both (the plan is one form)
    row = page.locator("tr.action").filter(has=page.locator("input[type=checkbox][name$='-chosen']")).first
    row_id = row.get_attribute("id")
    box = row.locator("input[type=checkbox][name$='-chosen']").first
    programme_id = box.get_attribute("value")
    box.check()
    row.locator("select[name$='-status']").select_option("done")
    other = page.locator(f"tr.action:not(#{row_id})").first
    other_id = other.get_attribute("id")
    other.locator("select[name$='-status']").select_option("done")
    with page.expect_navigation():
        page.click("#plan-form button[type=submit]")
    assert page.locator(f"#{row_id} select[name$='-status']").input_value() == "done"
    assert page.locator(f"#{other_id} select[name$='-status']").input_value() == "done"
    assert page.locator(f"#{row_id} input[value={programme_id}]").is_checked()
    done_title = page.locator(f"#{row_id} td.title").inner_text().strip()
    plan.refresh_from_db()
    assert plan.actions_done == 2 and plan.programmes_used == [programme_id]
    screenshot(page, "11-action-plan-progress")

    # the plan's PDF
    with page.expect_download() as info:
        page.click("text=Download PDF")
    assert info.value.suggested_filename.endswith(".pdf")
    with open(info.value.path(), "rb") as fh:
        assert fh.read(4) == b"%PDF"

    # six months later: a new diagnostic through the questionnaire
    page.goto(f"{base}/firms/{chamber.pk}/")
    page.click("text=New diagnostic")
    page.wait_for_selector("#id_framework")
    page.click("text=Start the questionnaire")
    page.wait_for_selector("fieldset[data-question]")
    page = fill_questionnaire(page, finish_selector="complete")
    page.wait_for_url("**/results/")
    later = Assessment.objects.filter(firm=chamber).order_by("-assessed_on", "-pk").first()
    assert later.status == "completed" and later.assessed_on > dt.date(2026, 5, 4)

    # the follow-up: indices that moved, the actions done, the programme used, the trajectory
    page.click("text=Follow-up since an earlier diagnostic")
    page.wait_for_selector("h2:has-text('Actions done')")
    main = page.inner_text("main")
    assert done_title in main
    name = services.builtin_catalogue().by_id[programme_id].name.get("en")
    assert name in page.locator("ul.programmes.used").inner_text()
    assert done_title in page.locator("table.actions-done").inner_text()
    delta = later.iiep - Assessment.objects.get(firm=chamber, assessed_on=dt.date(2026, 5, 4)).iiep
    assert f"{delta:+.2f}" in main.replace("−", "-")
    assert page.locator("figure.trajectory svg").count() == 1
    screenshot(page, "12-follow-up")
    context.close()

    # the organisation's admin: the portfolio and its PDF brief
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    page = context.new_page()
    log_in(page, base, "amelie")
    page.click("header >> text=Portfolio")
    page.wait_for_selector("text=Download the brief (PDF)")
    assert page.locator("svg").count() >= 1
    screenshot(page, "13-portfolio")
    with page.expect_download() as info:
        page.click("text=Download the brief (PDF)")
    assert info.value.suggested_filename.endswith(".pdf")
    with open(info.value.path(), "rb") as fh:
        pdf = fh.read()
    assert pdf[:4] == b"%PDF" and FIRM.encode() not in pdf
    assert AuditEntry.objects.filter(action="export", user__username="amelie").exists()
    context.close()
