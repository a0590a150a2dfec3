"""The documents' translation layer: gettext catalogues (symbolic msgids), Babel formatting, one Translator."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from string import Formatter

import numpy as np
import pandas as pd
import pytest
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, parse_decimal
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from innexport.core.framework import LANGUAGES
from innexport.rendering import i18n
from innexport.rendering.i18n import DOMAIN, Translator, translator

SRC = Path(__file__).resolve().parents[1] / "src" / "innexport"
LOCALE = SRC / "rendering" / "locale"


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str):
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in Formatter().parse(text) if name is not None}


# --- the catalogues -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_mo_is_compiled_from_its_po(lang):
    """``make messages`` was run: the committed .mo is exactly what Babel compiles from the .po."""
    out = io.BytesIO()
    write_mo(out, read(lang))
    mo = po_path(lang).with_suffix(".mo")
    assert mo.read_bytes() == out.getvalue(), f"{mo} is stale: run `make messages`"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_header_is_cldr_s(lang):
    catalog = read(lang)
    rule = get_plural(lang)
    assert catalog.num_plurals == rule.num_plurals
    assert catalog.plural_expr == rule.plural_expr
    assert not catalog.fuzzy


def test_every_msgid_in_every_language_with_the_same_placeholders():
    catalogs = {lang: read(lang) for lang in LANGUAGES}
    ids = {lang: {m.id if isinstance(m.id, str) else m.id[0] for m in c if m.id} for lang, c in catalogs.items()}
    assert len(ids["en"]) > 400
    assert ids["fr"] == ids["es"] == ids["en"]
    for key in ids["en"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+", key), f"not a symbolic key: {key!r}"
        forms: dict[str, list[str]] = {}
        for lang, catalog in catalogs.items():
            message = catalog.get(key)
            texts = list(message.string) if isinstance(message.string, tuple) else [message.string]
            assert all(texts) and not message.fuzzy, (lang, key)
            assert len(texts) == (catalog.num_plurals if message.pluralizable else 1), (lang, key)
            forms[lang] = texts
        placeholders = {lang: {frozenset(fields(t)) for t in texts} for lang, texts in forms.items()}
        assert placeholders["fr"] == placeholders["es"] == placeholders["en"], key
        assert len(placeholders["en"]) == 1, key  # every plural form has the same placeholders


def test_no_yaml_catalogue_is_left():
    assert not list(LOCALE.glob("*.yaml"))


def test_catalogue_view_has_every_singular_message():
    cat = i18n.catalogue()
    assert cat["plan.title"] == {"fr": "Plan d'action", "es": "Plan de acción", "en": "Action plan"}
    assert "report.next.count" not in cat  # a plural message is read through Translator.plural
    for lang in LANGUAGES:
        assert set(cat) == {k for k in cat if translator(lang).has(k)}


# --- the Translator --------------------------------------------------------------------------------


def test_unknown_language_and_key_are_refused():
    with pytest.raises(ValueError, match=r"unknown language .de."):
        Translator("de")
    with pytest.raises(KeyError, match=r"no message .report\.nope. in locale/fr"):
        Translator("fr").t("report.nope")
    with pytest.raises(KeyError, match=r"no plural message .report\.title."):
        Translator("fr").plural("report.title", 2)


@pytest.mark.parametrize(("lang", "n", "expected"), [
    ("fr", 0, "0 réponse à relever"),  # French: 0 and 1 take the singular (CLDR "one")
    ("fr", 1, "1 réponse à relever"),
    ("fr", 2, "2 réponses à relever"),
    ("fr", 1_000_000, "1\u202f000\u202f000 réponses à relever"),  # CLDR "many", grouped the French way
    ("es", 0, "0 respuestas por mejorar"),
    ("es", 1, "1 respuesta por mejorar"),
    ("es", 3, "3 respuestas por mejorar"),
    ("en", 0, "0 answers to raise"),
    ("en", 1, "1 answer to raise"),
    ("en", 12345, "12,345 answers to raise"),
])
def test_plural_follows_cldr_rules(lang, n, expected):
    assert Translator(lang).plural("report.next.count", n) == expected


def test_markup_escapes_values_but_keeps_markup():
    out = Translator("en").markup("plan.priority", rank="<1>")
    assert out == "Priority &lt;1&gt;"
    out = Translator("fr").markup("report.summary.priority", list=Markup("<strong>A&amp;B</strong>"))
    assert "<strong>A&amp;B</strong>" in out


@pytest.mark.parametrize(("lang", "items", "expected"), [
    ("fr", ["a", "b", "c"], "a, b et c"),
    ("es", ["a", "b"], "a y b"),
    ("es", ["a", "Innovar"], "a e Innovar"),
    ("es", ["a", "hilo"], "a e hilo"),
    ("es", ["a", "hiato"], "a y hiato"),  # /ja/: y stays
    ("es", ["innovar", "b"], "innovar y b"),  # only the word after the conjunction counts
    ("en", ["a", "b", "c"], "a, b and c"),
    ("en", ["x"], "x"),
    ("en", [], ""),
])
def test_join(lang, items, expected):
    assert Translator(lang).join(items) == expected


def test_formats_are_babel_s():
    fr, es, en = (Translator(lang) for lang in ("fr", "es", "en"))
    assert (fr.num(0.456), es.num(0.456), en.num(0.456, 1)) == ("0,46", "0,46", "0.5")
    assert (fr.percent(0.5), en.percent(0.5), fr.percent(0.125, 1)) == ("50\u00a0%", "50%", "12,5\u00a0%")
    assert (fr.count(1200), es.count(12000), en.count(1200)) == ("1\u202f200", "12.000", "1,200")
    assert fr.date(dt.date(2026, 10, 15)) == "15 octobre 2026"
    assert es.date(dt.date(2026, 10, 15)) == "15 de octubre de 2026"
    assert en.date(dt.date(2026, 10, 15)) == "15 October 2026"
    assert (fr.decimal, en.decimal) == (",", ".")
    assert (fr.num(None), fr.percent(float("nan")), fr.date(None)) == ("–", "–", None)
    assert (fr.number_word(2), es.number_word(1), en.number_word(11)) == ("deux", "una", "11")


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.sampled_from(LANGUAGES),
       st.integers(min_value=0, max_value=4))
def test_num_reads_back_as_the_rounded_value(value, lang, digits):
    t = Translator(lang)
    text = t.num(value, digits)
    assert float(parse_decimal(text, locale=t.locale, strict=False)) == pytest.approx(round(value, digits),
                                                                                      abs=10 ** -digits)
    if digits:
        assert t.decimal in text


@given(st.one_of(st.floats(min_value=-1e15, max_value=1e15), st.sampled_from([-0.0, 0.675, -0.675, 0.125, 2.5])),
       st.sampled_from(LANGUAGES), st.integers(min_value=0, max_value=6))
def test_num_writes_what_babel_writes(value, lang, digits):
    """Translator.num's fast path is Babel's format_decimal, digit for digit (rounding, signs, separators).

    (Babel's own quantization fails beyond 28 significant digits; Translator.num does not.)"""
    t = Translator(lang)
    pattern = "0." + "0" * digits if digits else "0"
    assert t.num(value, digits) == format_decimal(value, format=pattern, locale=t.locale, decimal_quantization=True)


def test_a_change_is_the_difference_of_the_numbers_as_printed() -> None:
    """0.544 → 0.636 is printed 0.54 → 0.64: the change reads +0.10 (the raw difference 0.092 rounds to +0.09)."""
    en, fr = Translator("en"), Translator("fr")
    assert (en.num(0.544), en.num(0.636), en.change(0.544, 0.636)) == ("0.54", "0.64", "+0.10")
    assert en.signed(0.636 - 0.544) == "+0.09"
    assert (fr.change(0.636, 0.544), fr.change(0.5, 0.504), fr.change(None, 0.5)) == ("-0,10", "0,00", "–")
    assert (fr.signed(0.25), fr.signed(-0.004), en.signed(float("nan")), en.signed(1.5, 0)) == ("+0,25", "0,00", "–", "+2")


@given(st.floats(min_value=-1e3, max_value=1e3), st.floats(min_value=-1e3, max_value=1e3),
       st.sampled_from(LANGUAGES), st.integers(min_value=0, max_value=4))
def test_a_change_adds_up_with_the_printed_numbers(before, after, lang, digits):
    t = Translator(lang)

    def read(text: str) -> float:
        return float(parse_decimal(text.replace(t.num(-1.0, 0)[0], "-").lstrip("+"), locale=t.locale, strict=False))

    assert read(t.num(before, digits)) + read(t.change(before, after, digits)) == pytest.approx(
        read(t.num(after, digits)), abs=10 ** -(digits + 3))


# --- one system everywhere ---------------------------------------------------------------------------

OWNED = [*sorted((SRC / "rendering").glob("*.py")), SRC / "cli" / "followup.py", SRC / "cli" / "plan.py",
         *sorted(p for p in (SRC / "rendering" / "templates").glob("*.j2") if p.name != "portfolio_brief.html.j2")]
HAND_MADE = re.compile(r"""\.replace\(\s*["']\.["']\s*,\s*["'],["']\s*\)|:\.\d+[f%]\}|"%[+]?\.\d+f%?"\s*\|\s*format"""
                       r"""|["']fr["']\s*,\s*["']es["']|Literal\[\s*["']fr["']""")
NOT_MINE = {"charts.py", "maps.py", "portfolio.py"}  # SVG coordinates and other engineers' modules


@pytest.mark.parametrize("path", [p for p in OWNED if p.name not in NOT_MINE], ids=lambda p: p.name)
def test_no_hand_made_formatting_nor_language_list(path):
    """Numbers, dates and languages come from Babel and innexport.core.framework.LANGUAGES only."""
    text = path.read_text(encoding="utf-8")
    assert not HAND_MADE.findall(text), path


def test_support_plans_does_not_import_rendering():
    text = (SRC / "support" / "plans.py").read_text(encoding="utf-8")
    assert not re.findall(r"^\s*(?:from|import)\s+innexport\.rendering", text, flags=re.M)


def test_population_report_in_french():
    from innexport.files.frameworks import load_framework
    from innexport.population.frame import score_population
    from innexport.rendering.population_report import render_html

    rng = np.random.default_rng(3)
    n = 120
    values = rng.choice([0.0, 1.0], size=(n, 5)).astype(float)
    meta = pd.DataFrame({"firm_id": [f"f{i}" for i in range(n)], "country": rng.choice(["FR", "CL"], n),
                         "sector": "11.02", "size": "small"})
    frame = score_population(load_framework(Path(__file__).parent / "fixtures" / "mini.yaml"), values, meta)
    html = render_html(frame, lang="fr")
    assert '<html lang="fr">' in html and "<title>Analyse de la population</title>" in html
    assert "Indices par country" in html and "120 entreprises" in html
    assert not re.search(r"\d\.\d{3}\b", re.sub(r"<(svg|style).*?</\1>", "", html, flags=re.S))  # decimal commas


def test_num_writes_huge_values_where_babel_cannot():
    assert Translator("fr").num(1e28, 0) == "1" + "0" * 28
    assert Translator("es").num(-2.5e20, 1) == "-25" + "0" * 19 + ",0"
