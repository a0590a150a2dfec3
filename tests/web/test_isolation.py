"""Tenant isolation, checked on EVERY route of the application, found by walking the URL map.

A new route cannot be forgotten: each one must be classified below, and each route that takes an
organisation's object is requested, with every method, by every role of another organisation,
which must get 403, 404 or 405 and never see the object.
"""

from __future__ import annotations

import pytest
from django.urls import URLResolver, get_resolver

from innexport.web import services
from innexport.web.api import create_token
from innexport.web.models import ActionPlan, ApiToken, LocalProgramme, PlanAction

pytestmark = pytest.mark.django_db

# Routes that hold no organisation's object (or are checked by their own tests: the share links
# by token in test_share.py, shared framework versions in test_frameworks_admin.py).
NOT_TENANT_DATA = {
    "", "accounts/login/", "accounts/logout/", "language/", "firms/", "firms/new/", "audit/",
    "s/<str:token>/", "s/<str:token>/page/<int:page>/", "s/<str:token>/answer/", "s/<str:token>/done/",
    "frameworks/", "frameworks/upload/", "frameworks/<int:pk>/", "frameworks/<int:pk>/publish/",
    "frameworks/<int:pk>/unpublish/", "account/tokens/", "api/openapi.json", "api/docs", "api/frameworks",
    "api/frameworks/<framework_version_id>", "api/firms", "api/",
    # pages of the user's own organisation (their own tests check nothing of another one shows;
    # test_own_organisation_pages_show_nothing_of_another below checks them all)
    "programmes/", "programmes/new/", "programmes/import/", "programmes/local.yaml",
    "portfolio/", "portfolio.xlsx", "portfolio/brief.pdf",
    "portfolio/promethee/", "api/portfolio/promethee",  # own organisation (test_portfolio_promethee.py)
    "organisation/settings/", "api/benchmark/reference",  # own organisation (test_org_benchmark.py)
    "exports/", "exports/<str:table>.<str:fmt>", "api/assessments",  # own organisation (test_exports.py)
    "oidc/authenticate/", "oidc/callback/", "accounts/sso/refused/", "accounts/sso/waiting/",  # no object (test_sso.py)
    "answers/import/", "api/answers/import",  # own organisation only (test_imports.py: another's firm never matched)
}
OBJECT_ROUTES = ("firms/<int:pk>", "assessments/<int:pk>", "account/tokens/<int:pk>", "plans/actions/<int:pk>",
                 "programmes/<str:pid>", "api/firms/<firm_id>", "api/assessments/<assessment_id>")


def routes() -> list[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)
    return sorted({r for r in walk(get_resolver().url_patterns) if not r.startswith("admin/")})


def test_every_route_is_classified() -> None:
    tenant = [r for r in routes() if r not in NOT_TENANT_DATA]
    unknown = [r for r in tenant if not r.startswith(OBJECT_ROUTES)]
    assert unknown == [], f"classify these new routes in {__file__}: {unknown}"


def fill(route: str, firm: int, assessment: int, token: int, question: str, action: int = 0,
         programme: str = "") -> str:
    path = route.replace("<str:pid>", programme)
    if path.startswith(("firms/", "api/firms/")):
        path = path.replace("<int:pk>", str(firm)).replace("<firm_id>", str(firm))
    elif path.startswith("account/tokens/"):
        path = path.replace("<int:pk>", str(token))
    elif path.startswith("plans/actions/"):
        path = path.replace("<int:pk>", str(action))
    path = (path.replace("<int:pk>", str(assessment)).replace("<assessment_id>", str(assessment))
            .replace("<int:page>", "1").replace("<question_id>", question))
    return "/" + path


@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
def test_no_route_reaches_another_organisations_objects(org_a, org_b, assessment, who: str) -> None:
    services.save_answer(assessment, services.framework_of(assessment.framework).observables[0].id, "dk")
    action, programme = plan_and_programme_of(org_a, assessment)
    create_token(org_a.advisor, "a")
    token_a = ApiToken.objects.get(user=org_a.advisor)
    question = services.framework_of(assessment.framework).observables[0].id
    web = org_b.client(who)
    api_key = create_token(getattr(org_b, who), "b")
    checked = 0
    for route in routes():
        if route in NOT_TENANT_DATA:
            continue
        url = fill(route, org_a.firm.pk, assessment.pk, token_a.pk, question, action.pk, programme.programme_id)
        for method in ("get", "post", "put", "patch", "delete"):
            extra = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"} if route.startswith("api/") else {}
            if method == "get":
                response = web.get(url, **extra)
            else:
                response = getattr(web, method)(url, data="{}", content_type="application/json", **extra)
            body = response.content.decode(errors="replace")
            # 422: the API refuses the (empty) body before looking anything up, whatever the id: no leak
            assert response.status_code in (403, 404, 405, 422), f"{method.upper()} {url} as {who} of B: {response.status_code}"
            assert org_a.firm.name not in body, f"{method.upper()} {url} leaks org A's firm name"
            checked += 1
    assert checked >= 5 * 20
    # and nothing of A was changed or erased
    assessment.refresh_from_db()
    assert assessment.firm == org_a.firm and assessment.answers.count() == 1
    assert ApiToken.objects.filter(pk=token_a.pk).exists()
    action.refresh_from_db()
    assert action.title == "Visit two trade fairs" and action.status == "todo"
    assert LocalProgramme.objects.get(pk=programme.pk).data == programme.data


def plan_and_programme_of(org, assessment):
    """A plan with one action on ``assessment`` and a local programme of ``org``."""
    plan = ActionPlan.objects.create(organisation=org.organisation, assessment=assessment)
    action = PlanAction.objects.create(plan=plan, key="a1", activity="networks", title="Visit two trade fairs")
    data = services.builtin_catalogue().programmes[0].model_dump(mode="json") | {"id": "a_local_programme"}
    programme = LocalProgramme.objects.create(organisation=org.organisation, programme_id="a_local_programme", data=data)
    return action, programme


@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
def test_own_organisation_pages_show_nothing_of_another(org_a, org_b, assessment, who: str) -> None:
    """The pages that list the user's own organisation's data (firms, programmes, portfolio and its
    exports...) never show another organisation's firm or local programme."""
    assessment.status = "completed"
    assessment.save()
    plan_and_programme_of(org_a, assessment)
    web = org_b.client(who)
    for route in sorted(NOT_TENANT_DATA):
        if "<" in route or route.startswith(("api/", "accounts/")):
            continue
        response = web.get("/" + route, follow=True)
        body = response.content.decode(errors="replace")
        assert org_a.firm.name not in body, f"GET /{route} as {who} of B shows org A's firm"
        assert "a_local_programme" not in body, f"GET /{route} as {who} of B shows org A's local programme"
