"""The facts of the shipped programme catalogue: dated, sourced on the operators' pages, and the JEI's age limit.

The catalogue (``data/catalogues/programmes.yaml``) was gone through again on 2026-12-06 (issue 11):
each entry's ``url`` is the programme's page on the operator's site where one was found and its
``source`` the page its facts were checked against. These tests hold what a reader of that file may
rely on:

* it loads and every entry is trilingual, with both addresses on https and a real host;
* ``as_of`` is the date of that check or later, never in the future;
* no entry's ``source`` is a bare home page (a site's root tells nothing about the programme),
  unless :data:`HOME_PAGE_SOURCES` names it with the reason; the sources issue 11 named as stale
  (CORFO's home page, ProChile's 2016 call, a FONTAR call of the 2000s) are gone;
* the JEI (French young innovative company status) is proposed only while what it still gives can be
  had: the employer social-charges exemption runs at the latest to the end of the 7th year after the
  year of creation (law 2003-1311, art. 131, V; URSSAF), so in this catalogue's convention (a firm is
  refused when its age in whole years exceeds ``max_age``) a firm aged 3 or 7 is proposed it and one
  aged 8 or 10 is not - the 11-year limit of the finance law for 2022 only ever served the tax side.
  Ages are worked out by hand against a fixed day, through the eligibility rules of
  :mod:`innexport.support.programmes` (their one home).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from innexport.core.framework import LANGUAGES
from innexport.support.programmes import Catalogue, eligible, firm_age, is_eligible, load_catalogue, proposals

CHECKED_ON = dt.date(2026, 12, 6)
"""The day the catalogue was re-dated; its ``as_of`` may only move forward from here."""

HOME_PAGE_SOURCES: dict[str, str] = {}
"""Entries allowed to cite a site's home page as their source, each with the reason; none today."""

STALE_SOURCES = (
    "https://www.corfo.cl/",
    "https://acceso.prochile.cl/?p=22137",
    "https://covernews.press/nuevos-aportes-no-reembolsables-para-la-innovacion-ti-por-carranza-torres-asociados",
    "https://www.mercuriovalpo.cl/impresa/2016/04/30/full/cuerpo-principal/14",
)
"""Sources of the previous version that issue 11 (or the re-check) found to be a home page or a call years old."""


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def is_home_page(url: str) -> bool:
    """Whether ``url`` is only a site's root (empty path or ``/``), whatever its query or fragment.

    >>> is_home_page("https://www.corfo.cl/"), is_home_page("https://corfo.cl"), is_home_page("https://corfo.cl/sites/cpp/?p=6368")
    (True, True, False)
    """
    return urlsplit(url).path in ("", "/")


# --- the file as a whole ---------------------------------------------------------------------------


def test_catalogue_loads_dated_and_versioned(cat: Catalogue) -> None:
    assert cat.id == "programmes"
    assert CHECKED_ON <= cat.as_of <= dt.date.today()
    major, minor, _patch = (int(part) for part in cat.version.split("."))
    assert (major, minor) >= (1, 1)  # re-dated on 2026-12-06: a minor bump over 1.0.0
    assert {p.country for p in cat.programmes} == {"FR", "CL", "AR"}


def test_every_entry_is_trilingual(cat: Catalogue) -> None:
    missing = [(p.id, field, lang) for p in cat.programmes for field, text in (("name", p.name), ("description", p.description))
               for lang in LANGUAGES if not text.has(lang)]
    assert missing == []


def test_every_entry_has_a_url_and_a_source_on_https(cat: Catalogue) -> None:
    for p in cat.programmes:
        for field in ("url", "source"):
            parts = urlsplit(getattr(p, field))
            assert parts.scheme == "https", (p.id, field)
            assert "." in parts.netloc and " " not in getattr(p, field), (p.id, field)


def test_home_page_detection() -> None:
    assert is_home_page("https://www.bpifrance.fr/")
    assert is_home_page("https://www.bpifrance.fr")
    assert is_home_page("https://www.bpifrance.fr/?lang=fr")
    assert not is_home_page("https://www.argentina.gob.ar/inpi")
    assert not is_home_page("https://acceso.prochile.cl/evento/gulfood-2020")


def test_no_source_is_a_bare_home_page_unless_allowed(cat: Catalogue) -> None:
    home = {p.id for p in cat.programmes if is_home_page(p.source)}
    assert home == set(HOME_PAGE_SOURCES), "a source is a home page: cite the page the facts come from"
    assert all(reason.strip() for reason in HOME_PAGE_SOURCES.values())


def test_the_stale_sources_are_gone(cat: Catalogue) -> None:
    assert {p.source for p in cat.programmes} & set(STALE_SOURCES) == set()
    crea = cat.by_id["cl_corfo_crea_y_valida"]
    assert not is_home_page(crea.url) and urlsplit(crea.url).netloc.endswith("corfo.cl")


def test_the_fontar_entry_is_its_current_successor(cat: Catalogue) -> None:
    """The id stays (stored plans may name it); the entry is now the Agencia I+D+i's Startup calls."""
    successor = cat.by_id["ar_fontar"]
    assert successor.operator == "Agencia I+D+i" and successor.country == "AR"
    assert "FONTAR" not in successor.name.get("en") and "Startup" in successor.name.get("es")
    assert all("TRL 3-4" in successor.description[lang] and "7-9" in successor.description[lang] for lang in LANGUAGES)


# --- the JEI's age limit ---------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 6)
FIRM = {"country": "FR", "size": "small", "sector": "C11.02"}


def founded_years_ago(years: int) -> dt.date:
    """The founding date of a firm exactly ``years`` old on :data:`TODAY`."""
    return TODAY.replace(year=TODAY.year - years)


@pytest.mark.parametrize(("founded", "age", "proposed"), [
    (dt.date(2023, 12, 6), 3, True),
    (dt.date(2019, 12, 6), 7, True),    # 7 whole years: still within the 7th year after creation
    (dt.date(2019, 12, 7), 6, True),
    (dt.date(2018, 12, 6), 8, False),   # 8th birthday: the social exemption is over
    (dt.date(2018, 12, 7), 7, True),    # the day before it
    (dt.date(2016, 12, 6), 10, False),  # within the old 11-year tax period: no longer proposed
])
def test_jei_is_proposed_only_while_the_social_exemption_lasts(cat: Catalogue, founded: dt.date, age: int,
                                                                proposed: bool) -> None:
    firm = {**FIRM, "founded": founded.isoformat()}
    assert firm_age(founded, TODAY) == age
    jei = cat.by_id["fr_jei"]
    assert is_eligible(jei, firm, TODAY) is proposed
    assert ("fr_jei" in {p.id for p in eligible(cat, firm, today=TODAY)}) is proposed
    plan = proposals(cat, firm, ["inn_development", "know_technology"], today=TODAY)
    for activity in ("inn_development", "know_technology"):
        assert ("fr_jei" in {p.id for p in plan[activity]}) is proposed


def test_jei_rule_matches_its_description(cat: Catalogue) -> None:
    jei = cat.by_id["fr_jei"]
    assert jei.eligibility.max_age == 7 and jei.eligibility.min_age is None
    assert jei.eligibility.sizes == ["micro", "small", "medium"]
    assert "septième" in jei.description["fr"] and "huit ans" in jei.description["fr"]
    assert "séptimo" in jei.description["es"] and "ocho años" in jei.description["es"]
    assert "seventh" in jei.description["en"] and "eight years" in jei.description["en"]
    assert all("20" in jei.description[lang] for lang in LANGUAGES)
    assert urlsplit(jei.source).netloc == "www.urssaf.fr"  # the operator of the social exemption


def test_jei_is_not_proposed_to_a_large_firm_or_abroad(cat: Catalogue) -> None:
    young = {**FIRM, "founded": founded_years_ago(3).isoformat()}
    jei = cat.by_id["fr_jei"]
    assert is_eligible(jei, young, TODAY)
    assert not is_eligible(jei, {**young, "size": "large"}, TODAY)
    assert not is_eligible(jei, {**young, "country": "CL"}, TODAY)
