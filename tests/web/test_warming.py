"""The portfolio computed ahead of its next view after a change (:mod:`innexport.web.warming`): by a
real background thread, against committed data; what starts it and what does not; a failure that
leaves the server and the next warming alone."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from innexport.web import warming
from innexport.web.views import portfolio as view

from .test_portfolio_cache import add, figure

pytestmark = pytest.mark.django_db(transaction=True)  # the thread reads what the test committed


@pytest.fixture
def warm_now(settings):
    settings.PORTFOLIO_WARM_DELAY = 0.0
    yield
    assert warming.settle(30), "the warming thread did not settle"


def _reads_diagnostics(queries) -> bool:
    """Whether a request read the diagnostics' scores (the portfolio computed, not taken from the cache)."""
    return any("dimension_scores" in q["sql"] for q in queries)


def test_a_change_has_the_portfolio_computed_before_the_next_view(org_a, wine_framework, warm_now) -> None:
    for i in range(3):
        add(org_a, wine_framework, f"Domaine W{i}")
    client = org_a.client("advisor")
    assert not view.is_kept(org_a.organisation, {})
    response = client.post(reverse("firm-edit", args=[org_a.firm.pk]),
                           {"name": org_a.firm.name, "country": "FR", "sector": "11.02", "region": "Colchagua",
                            "size_class": "small"})
    assert response.status_code == 302
    assert warming.settle(30)
    assert view.is_kept(org_a.organisation, {})  # computed by the thread, under the data as changed
    with CaptureQueriesContext(connection) as queries:
        html = org_a.client("analyst").get(reverse("portfolio")).content.decode()
    assert not _reads_diagnostics(queries.captured_queries)
    assert figure(html, "firms") == 3

    # a diagnostic completed since: the kept portfolio no longer holds, the next warming computes it
    add(org_a, wine_framework, "Domaine W3")
    assert not view.is_kept(org_a.organisation, {})
    assert warming.warm(org_a.organisation.pk) is True
    assert warming.warm(org_a.organisation.pk) is False  # kept now: nothing computed twice
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("portfolio")).content.decode()
    assert not _reads_diagnostics(queries.captured_queries) and figure(html, "firms") == 4


def test_what_starts_it(org_a, wine_framework, warm_now, monkeypatch) -> None:
    """Only a change that succeeded, by a signed-in member, schedules their organisation."""
    scheduled: list[int] = []
    monkeypatch.setattr(warming, "schedule", scheduled.append)
    member, url = org_a.client("advisor"), reverse("firm-edit", args=[org_a.firm.pk])
    member.get(reverse("portfolio"))
    member.get(url)
    assert scheduled == []  # reading changes nothing
    assert member.post(url, {"name": ""}).status_code == 400  # refused: nothing changed
    assert scheduled == []
    from django.test import Client
    assert Client().post(url, {"name": "x"}).status_code in (302, 403)  # an anonymous visitor: sent to log in
    assert scheduled == []
    assert member.post(url, {"name": org_a.firm.name, "country": "FR", "sector": "11.02", "region": "Maule",
                             "size_class": "small"}).status_code == 302
    assert scheduled == [org_a.organisation.pk]


def test_off_and_gone(org_a, settings) -> None:
    settings.PORTFOLIO_WARM_DELAY = None
    assert warming.schedule(org_a.organisation.pk) is False
    assert warming.warm(10**9) is False  # an organisation erased since its change


def test_a_failed_warming_is_logged_and_the_next_one_runs(org_a, wine_framework, warm_now, monkeypatch,
                                                          caplog) -> None:
    add(org_a, wine_framework, "Domaine X")
    real, calls = warming.warm, []

    def flaky(organisation_id: int) -> bool:
        calls.append(organisation_id)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real(organisation_id)

    monkeypatch.setattr(warming, "warm", flaky)
    with caplog.at_level(logging.ERROR, logger="innexport.web.warming"):
        assert warming.schedule(org_a.organisation.pk) and warming.settle(30)
    assert "disk full" in caplog.text and not view.is_kept(org_a.organisation, {})
    assert warming.schedule(org_a.organisation.pk) and warming.settle(30)
    assert calls == [org_a.organisation.pk] * 2 and view.is_kept(org_a.organisation, {})


def test_a_burst_of_changes_is_computed_once(org_a, wine_framework, settings, monkeypatch) -> None:
    settings.PORTFOLIO_WARM_DELAY = 0.3
    add(org_a, wine_framework, "Domaine B")
    calls: list[int] = []
    monkeypatch.setattr(warming, "warm", calls.append)
    for _ in range(5):
        warming.schedule(org_a.organisation.pk)
    assert warming.settle(30)
    assert calls == [org_a.organisation.pk]
    cache.clear()
