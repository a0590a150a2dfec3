"""The streamed import's speed work (issue 14) changes no result (innexport.population.stream).

* each batch gets the mapping's missing codes exactly once (``survey_batches`` applies them and
  ``apply_mapping`` is told so: ``Survey.codes_applied``), and the streamed table is still the
  in-memory one: hypothesis on the survey, the form of the missing codes
  (a list of numbers and texts, a list holding a number as text, a dict by column naming a column only
  the missing codes read), the file format and the batch size; the in-memory import applies them
  once too (``read_survey``'s), and a survey read without them gets them from ``apply_mapping``;
* a dict of missing codes naming a column the survey lacks is refused as the in-memory import
  refuses it;
* the framework is loaded once per import, not once per batch; one that cannot be loaded is refused
  with ``apply_mapping``'s message;
* an id found in two batches (found by the vectorised ``id_texts``) is refused with the in-memory
  import's very message, for text ids and for whole-number ids read as numbers (shown ``102``, as
  :func:`~innexport.population.io.check_ids` shows it, where the streamed refusal used to say ``'102'``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innexport.files import builtin
from innexport.population import io as io_module
from innexport.population import mapping as mapping_module
from innexport.population import stream as stream_module
from innexport.population.io import SurveyError, read_survey, write_table
from innexport.population.mapping import MappingError, apply_mapping, load_mapping, parse_mapping, read_for_mapping
from innexport.population.stream import import_stream

ITEMS = ["lean1", "lean2", "perf1", "perf2", "perf3", "perf4", "perf7", "perf8", "talent1", "talent2", "talent4", "talent5"]
COUNTRIES = ["France", "Chile", "Argentina", "Germany"]
BANDS = ["A) 50 to 100", "B) 101 to 250", "C) 251 to 500", "E) 1000+"]
N = 41

CODES = {
    # every form must make both -99 (items) and "Unknown" (country) missing: left as they are, the first
    # is outside the items' scale and the second an answer the country recode does not foresee
    "list": '[-99, "Unknown"]',
    "number as text": '["-99", " Unknown "]',
    "by column": "{country: [Unknown], extra: [0], " + ", ".join(f"{i}: [-99]" for i in ITEMS) + "}",
}


def mapping_text(codes: str, framework: str = "iiep") -> str:
    """The built-in WMS mapping with an id column, a weight and ``codes`` as its missing codes."""
    text = builtin.read_document(builtin.resolve("wms", "mappings", "mapping", MappingError), MappingError)
    old = 'framework: {id: iiep, version: "1"}\n'
    assert old in text
    return text.replace(old, f'framework: {{id: {framework}, version: "1"}}\nid_column: code\nweight: w\n'
                             f"missing_codes: {codes}\n", 1)


def survey(n: int, seed: int) -> pd.DataFrame:
    """A WMS-like survey: text ids, weights, -99 in the items, "Unknown" countries, blanks, and a column
    ``extra`` that only a dict of missing codes reads."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {
        "code": [f"F{k}" for k in range(n)], "w": rng.lognormal(0, 0.5, n).round(3),
        "country": rng.choice([*COUNTRIES, "Unknown", " "], n), "sic2": rng.choice([20, 31, 35], n),
        "employment": rng.choice(BANDS, n), "extra": rng.choice([0, 1, 2], n)}
    for item in ITEMS:
        data[item] = rng.choice([1.0, 2.0, 3.5, 5.0, -99.0, np.nan], n)
    return pd.DataFrame(data)


def in_memory(path: Path, mapping: Path) -> pd.DataFrame:
    return apply_mapping(read_for_mapping(path, mapping), mapping)


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal tables (scores to the last bits: the core's matrix products round with the number of rows)."""
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=False,
                                  rtol=1e-13, atol=0)
    assert a.attrs == b.attrs


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, calls: list[Any],
             keep: Any = lambda *args: True) -> None:
    """Replace ``module.name`` by the same function noting in ``calls`` the calls ``keep`` accepts."""
    real = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        if keep(*args):
            calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


@pytest.fixture(scope="module")
def mappings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mappings")
    out = {}
    for k, (form, codes) in enumerate(CODES.items()):
        path = folder / f"wms-{k}.yaml"
        path.write_text(mapping_text(codes), encoding="utf-8")
        parse_mapping(path.read_text(encoding="utf-8"), str(path))
        out[form] = path
    return out


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(sorted(CODES)), suffix=st.sampled_from([".csv", ".parquet", ".dta"]),
       seed=st.integers(0, 2**16), batch=st.integers(1, N + 3))
def test_missing_codes_applied_once_per_batch_and_the_table_unchanged(mappings, tmp_path_factory, monkeypatch,
                                                                      form, suffix, seed, batch):
    folder = tmp_path_factory.mktemp("s")
    path = folder / f"s{suffix}"
    write_table(survey(N, seed), path)
    expected = in_memory(path, mappings[form])
    assert expected["country"].isna().any() and expected["country"].notna().any()  # "Unknown" and blanks missing
    with monkeypatch.context() as patch:
        calls: list[Any] = []
        for module in (stream_module, mapping_module):  # the two places that call it
            counting(patch, module, "apply_missing_codes", calls, keep=lambda data, codes, *rest: bool(codes))
        result = import_stream(path, mappings[form], folder / "p.parquet", batch_rows=batch)
    assert result.batches == -(-N // batch) and len(calls) == result.batches  # once per batch, not twice
    same(pd.read_parquet(folder / "p.parquet"), expected)


@pytest.mark.parametrize("form", sorted(CODES))
def test_the_in_memory_import_applies_the_missing_codes_once_too(mappings, tmp_path, monkeypatch, form):
    """read_survey applies the mapping's codes and says so (``Survey.codes_applied``): apply_mapping does
    not look for them again; a survey read without them gets them from apply_mapping, same table."""
    path = tmp_path / "s.csv"
    write_table(survey(N, 3), path)
    expected = in_memory(path, mappings[form])
    calls: list[Any] = []
    for module in (io_module, mapping_module):
        counting(monkeypatch, module, "apply_missing_codes", calls, keep=lambda data, codes, *rest: bool(codes))
    read = read_for_mapping(path, mappings[form])
    assert read.codes_applied == load_mapping(mappings[form]).missing_codes is not None
    same(apply_mapping(read, mappings[form]), expected)
    assert len(calls) == 1  # read_survey's only
    plain = read_survey(path, weight="w", id_column="code")
    assert plain.codes_applied is None
    same(apply_mapping(plain, mappings[form]), expected)
    assert len(calls) == 2  # apply_mapping's, for the survey read without them


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_missing_codes_column_the_survey_lacks_is_refused_as_in_memory(mappings, tmp_path, suffix):
    path = tmp_path / f"s{suffix}"
    write_table(survey(12, 1).drop(columns=["extra"]), path)
    with pytest.raises(SurveyError) as whole:
        in_memory(path, mappings["by column"])
    with pytest.raises(SurveyError) as batches:
        import_stream(path, mappings["by column"], tmp_path / "p.parquet", batch_rows=5)
    assert str(batches.value) == str(whole.value) and "extra" in str(batches.value)


def test_the_framework_is_loaded_once_not_per_batch(mappings, tmp_path, monkeypatch):
    path = tmp_path / "s.parquet"
    write_table(survey(N, 2), path)
    spec = mapping_module.load_mapping(mappings["list"])
    loads: list[Any] = []  # import_stream's own load (mapping.framework_named) and any apply_mapping would make
    counting(monkeypatch, mapping_module, "load_framework", loads)
    result = import_stream(path, spec, tmp_path / "p.parquet", batch_rows=10)
    assert result.batches == 5 and len(loads) == 1
    same(pd.read_parquet(tmp_path / "p.parquet"), in_memory(path, mappings["list"]))


def test_a_framework_that_cannot_be_loaded_is_refused_as_apply_mapping_refuses_it(tmp_path):
    spec = parse_mapping(mapping_text(CODES["list"], framework="nosuch"), "wms-nosuch.yaml")
    path = tmp_path / "s.csv"
    write_table(survey(12, 3), path)
    with pytest.raises(MappingError) as whole:
        apply_mapping(read_for_mapping(path, spec), spec)
    with pytest.raises(MappingError) as batches:
        import_stream(path, spec, tmp_path / "p.parquet", batch_rows=5)
    assert str(batches.value) == str(whole.value) and "cannot load framework 'nosuch'" in str(batches.value)
    assert not (tmp_path / "p.parquet").exists()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(numbers=st.booleans(), suffix=st.sampled_from([".csv", ".parquet"]), data=st.data())
def test_an_id_in_two_batches_is_refused_with_the_in_memory_message(mappings, tmp_path_factory, numbers, suffix, data):
    n = 30
    frame = survey(n, 4)
    ids: list[Any] = [float(100 + k) for k in range(n)] if numbers else [f"F{k}" for k in range(n)]
    batch = data.draw(st.integers(2, n - 1), label="batch")
    first = data.draw(st.integers(0, batch - 1), label="first")  # in the first batch…
    later = data.draw(st.lists(st.integers(1, (n - 1) // batch), min_size=1, max_size=3, unique=True), label="later")
    again = [min(b * batch + data.draw(st.integers(0, batch - 1)), n - 1) for b in later]
    for k in again:  # … found again in later ones, once a batch (twice in one batch is that batch's own refusal)
        ids[k] = ids[first]
    frame["code"] = ids
    folder = tmp_path_factory.mktemp("d")
    path = folder / f"s{suffix}"
    write_table(frame, path)
    with pytest.raises(SurveyError) as whole:
        in_memory(path, mappings["list"])
    with pytest.raises(SurveyError) as batches:
        import_stream(path, mappings["list"], folder / "p.parquet", batch_rows=batch)
    assert str(batches.value) == str(whole.value)
    shown = f"({100 + first})" if numbers else f"('F{first}')"  # a number shown as a number, a text as a text
    assert f"duplicated {shown} in rows {first + 1}" in str(batches.value)
