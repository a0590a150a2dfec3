"""Editing the whole action plan in one form: one Save for every action, all or nothing; errors at
their action and field with every other action's input kept; a plan saved meanwhile by someone else
refused without losing anyone's work; the plan's page in the plan's language.

The forms are read from the served page as a browser would submit them (:func:`plan_form`), changed,
and posted back, so that the page and the view are tested together.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innexport.web import plans, services
from innexport.web.models import ActionPlan, Assessment, AuditEntry, PlanAction

from .test_plans import completed, rows, text, with_programmes

pytestmark = pytest.mark.django_db

Form = list[tuple[str, str]]


class _FormReader(HTMLParser):
    """The fields a browser submits with ``form#plan-form`` (text, date, hidden, checked boxes,
    selected options), in document order: those inside it and those naming it (``form="plan-form"``)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: Form = []
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == "plan-form"
        owner = a.get("form") or ("plan-form" if self.inside else "")
        if tag == "option":
            owner = "plan-form" if self.select else ""
        if owner != "plan-form":
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def plan_form(page: str) -> Form:
    reader = _FormReader()
    reader.feed(page)
    assert reader.fields, "the page has no plan form"
    return reader.fields


def setting(form: Form, row: PlanAction, field: str, *values: str) -> Form:
    """The form with the action's field set to ``values`` (several for the programmes picked)."""
    name = plans.row_field(row.pk, field)
    kept = [(k, v) for k, v in form if k != name or (field == "chosen" and v == "")]
    return kept + [(name, v) for v in values]


def post(client, assessment: Assessment, form: Form):
    data: dict[str, list[str]] = {}
    for k, v in form:
        data.setdefault(k, []).append(v)
    return client.post(reverse("assessment-plan-save", args=[assessment.pk]), data)


def row_html(page: str, row: PlanAction) -> str:
    """The page's table row of one action."""
    match = re.search(rf'<tr id="action-{row.pk}".*?</tr>', page, re.S)
    assert match, f"no row for action {row.pk}"
    return match.group(0)


def stored(row: PlanAction) -> dict:
    return PlanAction.objects.filter(pk=row.pk).values("owner", "due", "status", "chosen", "done_on").get()


@pytest.fixture
def done(org_a, wine_framework) -> Assessment:
    return completed(org_a, wine_framework)


@pytest.fixture
def plan(org_a, done) -> ActionPlan:
    assert org_a.client().post(reverse("assessment-plan", args=[done.pk])).status_code == 302
    return ActionPlan.objects.get(assessment=done)


def page_of(client, assessment: Assessment) -> str:
    response = client.get(reverse("assessment-plan", args=[assessment.pk]))
    assert response.status_code == 200
    return text(response)


# --- one form, one Save ---------------------------------------------------------------------------------


def test_the_page_is_one_form_with_one_save(org_a, done, plan) -> None:
    page = page_of(org_a.client(), done)
    assert page.count('id="plan-form"') == 1 and page.count("Save the plan") == 1
    assert f'action="{reverse("plan-action", args=[rows(plan)[0].pk])}"' not in page  # no form per action
    form = plan_form(page)
    assert [v for k, v in form if k == "rows"] == [str(r.pk) for r in rows(plan)]
    assert dict(form)["version"] == plans.plan_version(plan)
    assert '<script src="/static/web/plan.js" defer></script>' in page and "<script>" not in page
    assert "shown in the language of its diagnostic" not in page  # the interface's language is the plan's
    # analysts have no form
    assert 'id="plan-form"' not in page_of(org_a.client("analyst"), done)


def test_two_rows_both_valid_are_saved_at_once(org_a, done, plan) -> None:
    c = org_a.client()
    first, second = rows(plan)[:2]
    form = plan_form(page_of(c, done))
    form = setting(form, first, "owner", "Claire Martin")
    form = setting(form, second, "status", "done")
    form = setting(form, second, "due", "2027-03-01")
    response = post(c, done, form)
    assert response.status_code == 302 and response["Location"] == reverse("assessment-plan", args=[done.pk])
    assert stored(first)["owner"] == "Claire Martin"
    s = stored(second)
    assert (s["status"], s["due"], s["done_on"]) == ("done", dt.date(2027, 3, 1), dt.date.today())
    plan.refresh_from_db()
    assert plan.actions_done == 1
    changes = sorted(AuditEntry.objects.filter(action="change", object_type="planaction")
                     .values_list("description", flat=True))
    assert changes == sorted([
        f"action {first.key} of plan {plan.pk}: owner=Claire Martin",
        f"action {second.key} of plan {plan.pk}: due=2027-03-01, status=done, done_on={dt.date.today().isoformat()}",
    ])
    assert "Plan saved: 2 actions changed." in text(c.get(response["Location"]))


def test_saving_the_page_unchanged_writes_nothing(org_a, done, plan) -> None:
    c = org_a.client()
    version = plans.plan_version(plan)
    response = post(c, done, plan_form(page_of(c, done)))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plans.plan_version(plan) == version
    assert not AuditEntry.objects.filter(action="change").exists()
    assert "Nothing to save" in text(c.get(response["Location"]))


def test_one_valid_and_one_invalid_row_save_nothing_and_keep_both_inputs(org_a, done, plan) -> None:
    c = org_a.client()
    first, second = rows(plan)[:2]
    before = [stored(first), stored(second)]
    form = plan_form(page_of(c, done))
    form = setting(form, first, "owner", "Claire Martin")
    form = setting(form, second, "owner", "Luis Rojas")
    form = setting(form, second, "due", "2027-13-45")
    response = post(c, done, form)
    assert response.status_code == 400
    page = text(response)
    assert "Nothing was saved: 1 action has a field to correct" in page
    bad, good = row_html(page, second), row_html(page, first)
    assert "Due date: “2027-13-45” is not a date (use YYYY-MM-DD)." in bad
    assert f'id="a-{second.pk}-due-error"' in bad and 'aria-invalid="true"' in bad and "has-error" in bad
    assert 'value="Luis Rojas"' in bad and 'value="2027-13-45"' in bad
    assert 'value="Claire Martin"' in good and "is not a date" not in good and "aria-invalid" not in good
    assert [stored(first), stored(second)] == before
    assert not AuditEntry.objects.filter(action="change").exists()

    # the page sent back is the user's work: correcting the one field saves both actions
    again = plan_form(page)
    assert sorted(f for f in again if f[0] != "csrfmiddlewaretoken") == sorted(f for f in form if f[0] != "csrfmiddlewaretoken")
    response = post(c, done, setting(again, second, "due", "2027-12-15"))
    assert response.status_code == 302
    assert stored(first)["owner"] == "Claire Martin"
    assert (stored(second)["owner"], stored(second)["due"]) == ("Luis Rojas", dt.date(2027, 12, 15))


def test_every_wrong_field_of_every_row_is_named(org_a, done, plan) -> None:
    c = org_a.client()
    first, second = rows(plan)[:2]
    form = plan_form(page_of(c, done))
    form = setting(form, first, "status", "finished")
    form = setting(form, first, "due", "soon")
    form = setting(form, second, "owner", "x" * 201)
    response = post(c, done, form)
    assert response.status_code == 400
    page = text(response)
    assert "Nothing was saved: 2 actions have a field to correct" in page
    one = row_html(page, first)
    assert "Status: “finished” is not a status" in one and "Due date: “soon” is not a date" in one
    assert "Owner: at most 200 characters." in row_html(page, second)


def test_a_programme_not_proposed_is_refused_at_its_row(org_a, done, plan) -> None:
    c = org_a.client()
    row = with_programmes(plan, 1)
    elsewhere = next(p for r in rows(plan) for p in r.proposed if p not in row.proposed)
    form = setting(plan_form(page_of(c, done)), row, "chosen", row.proposed[0], elsewhere)
    response = post(c, done, form)
    assert response.status_code == 400
    assert f"Programmes: “{elsewhere}” is not among the programmes proposed" in row_html(text(response), row)
    assert stored(row)["chosen"] == []


def test_rows_that_are_not_actions_of_the_plan_are_refused(org_a, org_b, done, plan) -> None:
    c = org_a.client()
    form = plan_form(page_of(c, done))
    response = post(c, done, [*form, ("rows", "abc")])
    assert response.status_code == 400 and "Rows: “abc” is not an action of this plan." in text(response)
    other_done = completed(org_b, services.published_frameworks().get(pk=done.framework_id))
    assert org_b.client().post(reverse("assessment-plan", args=[other_done.pk])).status_code == 302
    foreign = rows(ActionPlan.objects.get(assessment=other_done))[0]
    response = post(c, done, [*form, ("rows", str(foreign.pk)), (plans.row_field(foreign.pk, "owner"), "Mine")])
    assert response.status_code == 400 and f"Rows: “{foreign.pk}”" in text(response)
    assert stored(foreign)["owner"] != "Mine"


def test_roles_and_organisations(org_a, org_b, done, plan) -> None:
    form = plan_form(page_of(org_a.client(), done))
    first = rows(plan)[0]
    changed = setting(form, first, "owner", "Analyst")
    assert post(org_a.client("analyst"), done, changed).status_code == 403
    assert post(org_b.client(), done, changed).status_code == 404
    assert org_a.client().get(reverse("assessment-plan-save", args=[done.pk])).status_code == 405
    assert stored(first)["owner"] == "a-advisor"


# --- optimistic concurrency -------------------------------------------------------------------------------


def test_a_plan_saved_meanwhile_is_not_overwritten_and_nothing_is_lost(org_a, done, plan) -> None:
    mine, theirs = org_a.client(), org_a.client("admin")
    first, second = rows(plan)[:2]
    my_form = plan_form(page_of(mine, done))
    their_form = plan_form(page_of(theirs, done))

    assert post(theirs, done, setting(their_form, first, "status", "done")).status_code == 302
    response = post(mine, done, setting(my_form, second, "owner", "Luis Rojas"))
    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this plan after you opened it, so nothing was saved" in page
    assert stored(second)["owner"] == "a-advisor" and stored(first)["status"] == "done"
    # my input is kept; the action I did not touch shows what the other saved, with a note
    assert 'value="Luis Rojas"' in row_html(page, second)
    other = row_html(page, first)
    assert "Saved meanwhile by a-admin:" in other and '<option value="done" selected>' in other
    assert 'data-unsaved' in page

    # saving the page sent back keeps both: theirs is not overwritten by my stale "to do"
    response = post(mine, done, plan_form(page))
    assert response.status_code == 302
    assert stored(first)["status"] == "done" and stored(second)["owner"] == "Luis Rojas"


def test_the_same_action_changed_by_both_keeps_my_input_next_to_theirs(org_a, done, plan) -> None:
    mine, theirs = org_a.client(), org_a.client("admin")
    first = rows(plan)[0]
    my_form = plan_form(page_of(mine, done))
    assert post(theirs, done, setting(plan_form(page_of(theirs, done)), first, "owner", "Ana")).status_code == 302
    response = post(mine, done, setting(my_form, first, "owner", "Claire"))
    assert response.status_code == 409
    row = row_html(text(response), first)
    assert 'value="Claire"' in row and "Saved meanwhile by a-admin:" in row and "Owner: Ana" in " ".join(row.split())
    assert stored(first)["owner"] == "Ana"


def test_an_action_added_or_deleted_meanwhile_is_a_conflict(org_a, done, plan) -> None:
    c = org_a.client()
    first, second = rows(plan)[:2]
    form = setting(plan_form(page_of(c, done)), first, "owner", "Claire")
    assert c.post(reverse("plan-action-delete", args=[second.pk])).status_code == 302
    assert post(c, done, form).status_code == 409
    assert stored(first)["owner"] == "a-advisor"


def test_save_plan_refuses_a_stale_version_directly(org_a, plan) -> None:
    first = rows(plan)[0]
    with pytest.raises(plans.PlanConflict):
        plans.save_plan(plan, org_a.advisor, {first.pk: {"owner": "X"}}, f"{plan.pk}.0")
    changed = plans.save_plan(plan, org_a.advisor, {first.pk: {"owner": "X"}}, plans.plan_version(plan))
    assert changed == {first.pk: ["owner"]}
    plan.refresh_from_db()
    with pytest.raises(plans.PlanConflict):  # the version moved with the save
        plans.save_plan(plan, org_a.advisor, {first.pk: {"owner": "Y"}}, f"{plan.pk}.0")


# --- one language: the plan's ------------------------------------------------------------------------------


def test_a_spanish_plan_is_shown_in_spanish_to_an_english_interface(org_a, wine_framework) -> None:
    es = completed(org_a, wine_framework, lang="es")
    c = org_a.client()  # the advisor's interface is English
    assert c.post(reverse("assessment-plan", args=[es.pk])).status_code == 302
    plan = ActionPlan.objects.get(assessment=es)
    response = c.get(reverse("assessment-plan", args=[es.pk]))
    assert response["Content-Language"] == "es"
    page = text(response)
    assert '<html lang="es">' in page
    for spanish in ("Plan de acción", "Prioridad 1", "Responsable", "Fecha límite", "Programas",
                    '<option value="todo" selected>Por hacer</option>', ">En curso</option>", "Guardar el plan"):
        assert spanish in page, spanish
    assert "Este plan se muestra en el idioma de su diagnóstico" in page  # why, since the interface is English
    for english in ("Priority 1", ">Owner<", "Due date", "To do", "In progress", "Save the plan", "Add an action"):
        assert english not in page, english
    fw = services.framework_of(es.framework)
    first = rows(plan)[0]
    assert fw.activity_by_id[first.activity].name["es"] in page
    catalogue = services.catalogue_for(org_a.organisation).by_id
    named = [catalogue[p].name for p in plan.programmes_proposed if p in catalogue]
    assert named and all(n.get("es") in page for n in named)
    assert any(n.get("en") != n.get("es") and n.get("en") not in page for n in named)
    # the messages too
    form = setting(plan_form(page), first, "due", "pronto")
    bad = text(post(c, es, form))
    assert "Fecha límite" in row_html(bad, first) and "Due date:" not in bad
    ok = post(c, es, setting(form, first, "due", "2027-01-31"))
    assert ok.status_code == 302 and "Plan guardado" in text(c.get(ok["Location"]))


# --- in a real browser: the unsaved-changes marker and warning, two rows saved at once ----------------------


@pytest.fixture(scope="module")
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe here
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_marks_unsaved_changes_warns_before_leaving_and_saves_two_rows_at_once(
        live_server, playwright, org_a, wine_framework) -> None:
    from .browser import launch, screenshot

    done = completed(org_a, wine_framework)
    client = org_a.client()
    assert client.post(reverse("assessment-plan", args=[done.pk])).status_code == 302
    first, second = rows(ActionPlan.objects.get(assessment=done))[:2]
    browser = launch(playwright)
    try:
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "url": live_server.url}])
        page = context.new_page()
        url = live_server.url + reverse("assessment-plan", args=[done.pk])
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(url)
        # on a phone the actions stack: the page never scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "plan-390")
        page.set_viewport_size({"width": 768, "height": 1000})  # a tablet: the table scrolls inside its area
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        page.set_viewport_size({"width": 1280, "height": 900})
        marker = page.locator("#plan-unsaved")
        assert marker.is_hidden()

        page.fill(f"#a-{first.pk}-owner", "Claire Martin")
        assert marker.is_visible()
        assert "dirty" in (page.locator(f"#action-{first.pk}").get_attribute("class") or "")
        page.select_option(f"#a-{second.pk}-status", "doing")

        dialogs: list[str] = []

        def refuse(dialog) -> None:
            dialogs.append(dialog.type)
            dialog.dismiss()

        page.on("dialog", refuse)
        page.click("p.crumbs a")  # leaving with unsaved changes: the browser asks, the user stays
        page.wait_for_timeout(300)
        page.remove_listener("dialog", refuse)
        assert dialogs == ["beforeunload"] and page.url == url and marker.is_visible()

        # typing the owner back as it was: only the second row is still changed
        page.fill(f"#a-{first.pk}-owner", first.owner)
        assert "dirty" not in (page.locator(f"#action-{first.pk}").get_attribute("class") or "")
        page.fill(f"#a-{first.pk}-owner", "Claire Martin")

        page.click(".plan-savebar button[type=submit]")  # one Save, no warning
        page.wait_for_selector(".messages li.success")
        assert "Plan saved: 2 actions changed." in page.inner_text(".messages")
        assert page.locator("#plan-unsaved").is_hidden()
        assert (stored(first)["owner"], stored(second)["status"]) == ("Claire Martin", "doing")
    finally:
        browser.close()


# --- all or nothing, whatever the mix of rows and fields (property) ------------------------------------------

OWNERS = {"Ana Pérez": True, "": True, "x" * 201: False}
DUES = {"2027-01-02": True, "": True, "2027-02-30": False}
STATUSES = {"todo": True, "doing": True, "done": True, "dropped": True, "finished": False}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_save_plan_is_all_or_nothing(org_a, plan, data) -> None:
    everything = rows(plan)
    picked = data.draw(st.lists(st.sampled_from(everything), min_size=1, max_size=4, unique_by=lambda r: r.pk))
    changes: dict[int, dict[str, str]] = {}
    wrong: dict[int, set[str]] = {}
    for row in picked:
        fields = {name: data.draw(st.sampled_from(sorted(values)), label=f"{name} of {row.pk}")
                  for name, values in (("owner", OWNERS), ("due", DUES), ("status", STATUSES))
                  if data.draw(st.booleans(), label=f"send {name} of {row.pk}")}
        changes[row.pk] = fields
        bad = {name for name, value in fields.items()
               if not {"owner": OWNERS, "due": DUES, "status": STATUSES}[name][value]}
        if bad:
            wrong[row.pk] = bad
    with transaction.atomic():
        current = ActionPlan.objects.get(pk=plan.pk)
        before = list(PlanAction.objects.filter(plan=current).order_by("pk").values())
        try:
            changed = plans.save_plan(current, org_a.advisor, changes, plans.plan_version(current))
        except plans.PlanFormErrors as exc:
            assert wrong, "refused though every field is right"
            assert {pk: set(fields) for pk, fields in exc.errors.items()} == wrong  # every wrong field, no other
            assert list(PlanAction.objects.filter(plan=current).order_by("pk").values()) == before
        else:
            assert not wrong, "saved though a field is wrong"
            for pk, fields in changes.items():
                row = PlanAction.objects.get(pk=pk)
                if "owner" in fields:
                    assert row.owner == fields["owner"]
                if "due" in fields:
                    assert row.due == (dt.date.fromisoformat(fields["due"]) if fields["due"] else None)
                if "status" in fields:
                    assert row.status == fields["status"] and (row.done_on is not None) == (fields["status"] == "done")
            assert set(changed) <= set(changes)
        transaction.set_rollback(True)
