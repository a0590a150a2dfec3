"""The NACE Rev. 2 classification shipped with innexport, and sectors read back from codes and names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innexport.core.languages import LANGUAGES
from innexport.files.classifications import nace_positions, section_of
from innexport.rendering.sectors import (
    is_sector_code,
    sector_choices,
    sector_code,
    sector_label,
    sector_name,
    suggestions,
)
from innexport.support.programmes import _sector_matches

# The 88 divisions of NACE Rev. 2 (Regulation (EC) No 1893/2006, Annex I): 01 to 99 less the numbers it
# leaves free, written out here so that a division lost from the data file fails this test.
DIVISIONS = [f"{n:02d}" for n in range(1, 100) if n not in {4, 34, 40, 44, 48, 54, 57, 67, 76, 83, 89}]


def test_the_whole_classification_is_shipped():
    levels = [p.level for p in nace_positions().values()]
    assert [levels.count(n) for n in (1, 2, 3, 4)] == [21, 88, 272, 615]
    assert [p.code for p in nace_positions().values() if p.level == 1] == list("ABCDEFGHIJKLMNOPQRSTU")
    assert [p.code for p in nace_positions().values() if p.level == 2] == DIVISIONS


def test_every_position_has_a_title_in_every_language_and_a_known_parent():
    positions = nace_positions()
    for p in positions.values():
        assert all(p.title[lang].strip() for lang in LANGUAGES), p.code
        assert (p.parent == "") == (p.level == 1)
        if p.parent:
            assert positions[p.parent].level == p.level - 1
        if p.level >= 3:
            assert p.code.startswith(p.parent)


@pytest.mark.parametrize(("code", "en", "fr", "es"), [
    ("11.02", "Manufacture of wine from grape", "Production de vin (de raisin)", "Elaboración de vinos"),
    ("01.21", "Growing of grapes", "Culture de la vigne", "Cultivo de la vid"),
    ("46.34", "Wholesale of beverages", "Commerce de gros de boissons", "Comercio al por mayor de bebidas"),
    ("A", "AGRICULTURE, FORESTRY AND FISHING", "AGRICULTURE, SYLVICULTURE ET PÊCHE",
     "Agricultura, ganadería, silvicultura y pesca"),
    ("11", "Manufacture of beverages", "Fabrication de boissons", "Fabricación de bebidas"),
])
def test_official_titles_in_three_languages(code, en, fr, es):
    assert [sector_name(code, lang) for lang in ("en", "fr", "es")] == [en, fr, es]


def test_a_class_cnae_splits_is_named_by_its_national_classes():
    # CNAE-2009 splits NACE 10.41 into 10.43 (olive oil) and 10.44 (other oils and fats).
    assert sector_name("10.41", "es") == "Fabricación de aceite de oliva; Fabricación de otros aceites y grasas"
    assert sector_name("10.20", "es") == sector_name("10.2", "es")  # the group it alone forms


@pytest.mark.parametrize(("text", "code"), [
    ("11.02", "11.02"), ("1102", "11.02"), ("C1102", "11.02"), ("c 11.02", "11.02"), ("C11", "11"), ("11", "11"),
    ("A", "A"), ("a", "A"), ("01.2", "01.2"), ("012", "01.2"),
    ("Elaboración de vinos", "11.02"), ("elaboracion  de VINOS", "11.02"), ("Production de vin (de raisin)", "11.02"),
    ("manufacture of wine from grape", "11.02"), ("Culture de la vigne", "01.21"),
    ("11.02 — Manufacture of wine from grape", "11.02"), ("46.34 - Comercio al por mayor de bebidas", "46.34"),
    ("Manufacture of beverages", "11.0"),  # division 11 and its only group share the title: the finer one
])
def test_codes_and_names_are_read_back(text, code):
    assert sector_code(text) == code


@pytest.mark.parametrize("text", ["vino tinto", "", "   ", "99.99", "A11", "B11.02", "11.029", "wine"])
def test_anything_else_is_refused(text):
    assert sector_code(text) is None


def test_unknown_code_is_not_a_sector_and_keeps_its_spelling():
    assert not is_sector_code("99.99") and not is_sector_code("1102") and is_sector_code("11.02")
    assert sector_name("99.99", "fr") == "99.99" and sector_label("99.99", "es") == "99.99"


def test_suggestions_for_what_is_not_a_name():
    assert suggestions("vino tinto")[0] == "11.02"
    assert suggestions("vin rouge")[0] == "11.02"
    assert "01.21" in suggestions("culture vigne")
    assert suggestions("") == [] and suggestions("de la") == []


def test_choices_are_labelled_in_the_language_asked():
    fr = dict(sector_choices("fr"))
    assert fr["11.02"] == "11.02 — Production de vin (de raisin)" and len(fr) == 996
    assert list(fr)[:3] == ["A", "01", "01.1"]


@given(st.sampled_from(sorted(nace_positions())), st.sampled_from(LANGUAGES))
def test_every_label_and_name_reads_back_to_a_code_with_the_same_title(code, lang):
    assert sector_code(sector_label(code, lang)) == code
    found = sector_code(sector_name(code, lang))
    assert found is not None and sector_name(found, lang) == sector_name(code, lang)


@given(st.sampled_from(sorted(nace_positions())))
def test_every_code_matches_its_own_section_and_division_as_a_programme_prefix(code):
    section = section_of(code)
    assert _sector_matches(code, [section])
    if nace_positions()[code].level >= 2:
        assert _sector_matches(code, [code[:2]]) and _sector_matches(code, [f"{section}{code[:2]}"])
    other = "B" if section != "B" else "C"
    assert not _sector_matches(code, [other])


def test_a_catalogue_entry_refuses_a_sector_prefix_that_is_no_nace_code():
    from innexport.support.programmes import ProgrammeError, validate_programme

    entry = {"id": "x", "name": {"es": "X"}, "operator": "Op", "country": "CL", "kind": "advice", "scope": "export",
             "activities": ["strat_global"], "url": "https://example.org/", "source": "https://example.org/",
             "description": {"es": "D"}}
    assert validate_programme(entry | {"eligibility": {"sectors": ["C11", "01.21", "A"]}}).eligibility.sectors == [
        "C11", "01.21", "A"]
    with pytest.raises(ProgrammeError) as info:
        validate_programme(entry | {"eligibility": {"sectors": ["C11", "A11", "99.99"]}})
    assert [(p.path, p.value) for p in info.value.problems] == [
        (("eligibility", "sectors", 1), "A11"), (("eligibility", "sectors", 2), "99.99")]
    assert "'A11' is not a NACE Rev. 2 code" in info.value.problems[0].message
