"""The comparative study: one call that compares countries (or sectors, or sizes) on the framework.

The research behind innexport set out to compare the wine SMEs of France, Chile and Argentina and
then other sectors (METHOD.md, "Mission"). :func:`study` gathers, for the groups of one column of a
population table (``country``, ``sector``, ``size``…), what such a comparison reports and in the
order a reader needs it:

1. **samples and weights** — firms, weighted firms and Kish's effective size per group, and the
   firms left out (no group value, or a group smaller than :data:`MIN_STUDY_GROUP`);
2. **reliability per group** — Cronbach's alpha of each dimension's answers with its Feldt interval
   (:mod:`innexport.population.reliability`), so that a scale that holds in one country and not in
   another is seen before its means are compared;
3. **measurement invariance** — configural, metric and scalar multi-group CFA
   (:mod:`innexport.population.invariance`): means are comparable across groups only under scalar
   (or partial scalar) invariance (Vandenberg & Lance 2000, Organ. Res. Methods 3(1):4-70);
4. **means with intervals** of the indices and dimensions, differences to the reference group and
   Hedges' g (:mod:`innexport.population.compare`), design-based when the survey design is given;
5. **the common-space map per group** — the PCA map of the activities
   (:mod:`innexport.population.ordination`) fitted in each group, the "data spatialisation" by which
   Enjolras, Camargo & Schmitt (2016) isolated the common space;
6. **the synergy model** — a bivariate probit of an innovation and an export outcome
   (:mod:`innexport.population.synergy`), with the groups as context;
7. **the firms' classes by group** — the weighted shares of each class of IIP, IEP and IIEP.

A section the data cannot support is not an error: it is left out with a note naming why (a
code the report translates, and the analysis's own message as ``detail``). The result is stamped
(:func:`stamp`) with the framework's label and content hash, each mapping's id, version and file
hash, and each data file's SHA-256, so that a published comparison can be traced to its inputs.

Several population tables (one per country's survey, say) are compared by :func:`combine`: they must
have been scored with the same framework (same content hash) and get a ``source`` column.
"""

from __future__ import annotations

import contextlib
import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES, Framework
from innexport.population.design import SurveyDesign
from innexport.population.frame import (
    ACT,
    CLASS,
    DIM,
    OBS,
    WEIGHT,
    columns,
    dimension_columns,
    informed,
    stamped_framework,
    survey_weights,
)
from innexport.population.io import json_plain

MIN_STUDY_GROUP = 30
"""A group enters the comparison with at least this many firms (below, its figures would be noise)."""

MAX_STUDY_GROUPS = 12
"""At most this many groups are compared (the largest ones when ``groups`` is not given)."""

FACTOR = "capabilities"
"""The one factor the invariance model has when no dimension has two informed activities."""

SOURCE = "source"
"""The column :func:`combine` adds: the table each firm comes from."""


class StudyError(ValueError):
    """The study cannot be run on these inputs (unknown column, no group large enough, mixed frameworks)."""


@dataclass
class Study:
    """What :func:`study` found: plain data (``to_dict``) and the per-group maps for the report."""

    by: str
    groups: list[Any]
    reference: Any
    sections: dict[str, Any]
    notes: list[dict[str, Any]] = field(default_factory=list)
    maps: dict[Any, Any] = field(default_factory=dict)
    """Group → :class:`innexport.population.ordination.MapResult` (not in ``to_dict``: the report draws them)."""

    def to_dict(self) -> dict[str, Any]:
        """The study as JSON-able data (NaN as None)."""
        return json_plain({"by": self.by, "groups": self.groups, "reference": self.reference, **self.sections,
                       "maps": {str(g): _map_summary(m) for g, m in self.maps.items()}, "notes": self.notes})


def _map_summary(result: Any) -> dict[str, Any]:
    return {"explained": [float(x) for x in result.explained[:2]],
            "columns": {c: [float(v) for v in row] for c, row in zip(result.columns.index, result.columns.to_numpy(),
                                                                      strict=True)}}


def file_sha256(path: str | Path) -> str:
    """``sha256:<hex>`` of a file, or of a folder's files (a Parquet dataset) in name order.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:19]
    'sha256:ba7816bf8f01'
    """
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            digest.update(str(f.relative_to(path)).encode("utf-8") + b"\0")
        with f.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return "sha256:" + digest.hexdigest()


def stamp(frames: Sequence[pd.DataFrame], paths: Sequence[str | Path] = ()) -> dict[str, Any]:
    """What the study was computed from: framework, mappings (id, version, file hash), data files' hashes.

    >>> t = pd.DataFrame({"firm_id": ["a"]}); t.attrs.update(framework="iiep 1.1.0", content_hash="sha256:x",
    ...                                                     mapping="wms", mapping_version="1.0.0")
    >>> s = stamp([t]); s["framework"], s["mappings"][0]["id"], s["mappings"][0]["sha256"][:7]
    ('iiep 1.1.0', 'wms', 'sha256:')
    """
    from innexport._version import __version__
    from innexport.files import builtin

    mappings: list[dict[str, Any]] = []
    for frame in frames:
        name = frame.attrs.get("mapping")
        if not name or any(m["id"] == name for m in mappings):
            continue
        entry: dict[str, Any] = {"id": name, "version": frame.attrs.get("mapping_version"), "sha256": None}
        with contextlib.suppress(LookupError, OSError, ValueError):  # not shipped: its id and version say what it was
            entry["sha256"] = file_sha256(builtin.resolve(name, "mappings", "mapping"))
        mappings.append(entry)
    first = frames[0].attrs if frames else {}
    return {"innexport": __version__, "framework": first.get("framework"), "content_hash": first.get("content_hash"),
            "mappings": mappings,
            "surveys": sorted({str(f.attrs["survey"]) for f in frames if f.attrs.get("survey")}),
            "data": [{"file": Path(p).name, "sha256": file_sha256(p)} for p in paths]}


def combine(frames: Sequence[pd.DataFrame], names: Sequence[str]) -> pd.DataFrame:
    """Several population tables as one, with a :data:`SOURCE` column; they must share their framework.

    >>> a = pd.DataFrame({"firm_id": ["1"], "iip": [0.5]}); b = pd.DataFrame({"firm_id": ["1"], "iip": [0.4]})
    >>> for t in (a, b): t.attrs.update(framework="iiep 1.1.0", content_hash="sha256:x")
    >>> combine([a, b], ["fr", "cl"])[["source", "firm_id"]].to_dict("records")
    [{'source': 'fr', 'firm_id': '1'}, {'source': 'cl', 'firm_id': '1'}]
    """
    if len(frames) != len(names):
        raise ValueError("one name per table")
    hashes = {f.attrs.get("content_hash") for f in frames}
    if len(hashes) > 1:
        labels = ", ".join(f"{n}: {f.attrs.get('framework')} ({f.attrs.get('content_hash')})"
                           for n, f in zip(names, frames, strict=True))
        raise StudyError(f"the tables were scored with different frameworks ({labels}): import them with the same one")
    parts = [f.assign(**{SOURCE: n}) for f, n in zip(frames, names, strict=True)]
    out = pd.concat(parts, ignore_index=True, sort=False)
    out.attrs.update({k: v for k, v in frames[0].attrs.items() if k in ("framework", "content_hash")})
    return out


# --------------------------------------------------------------------------------------------
# The groups
# --------------------------------------------------------------------------------------------


def choose_groups(frame: pd.DataFrame, by: str, groups: Sequence[Any] | None = None,
                  min_group: int = MIN_STUDY_GROUP) -> tuple[list[Any], list[dict[str, Any]], int]:
    """The groups compared, the groups left out (with their size) and the firms without a group value.

    Given ``groups`` are kept in their order and must exist (a given group smaller than ``min_group``
    is refused: the reader asked for it); otherwise the groups of at least ``min_group`` firms, the
    :data:`MAX_STUDY_GROUPS` largest, largest first.

    >>> t = pd.DataFrame({"country": ["FR"] * 40 + ["CL"] * 35 + ["AR"] * 5 + [None] * 2})
    >>> choose_groups(t, "country")
    (['FR', 'CL'], [{'group': 'AR', 'firms': 5, 'why': 'small'}], 2)
    """
    if by not in frame:
        raise StudyError(f"no column '{by}' in the population (columns: {', '.join(map(str, frame.columns[:12]))}…)")
    keys = frame[by]
    sizes = keys.dropna().value_counts(sort=False)
    sizes = sizes.sort_values(ascending=False, kind="stable")
    missing = int(keys.isna().sum())
    if groups is not None:
        absent = [g for g in groups if g not in sizes.index]
        if absent:
            raise StudyError(f"no firm in group(s) {', '.join(map(str, absent))} of '{by}' "
                             f"(groups: {', '.join(map(str, sizes.index[:20]))})")
        small = [g for g in groups if sizes[g] < min_group]
        if small:
            raise StudyError(f"group(s) {', '.join(f'{g} ({sizes[g]} firms)' for g in small)} of '{by}' have fewer "
                             f"than {min_group} firms: too few to compare")
        chosen = list(dict.fromkeys(groups))
        left = [{"group": g, "firms": int(n), "why": "not_chosen"} for g, n in sizes.items() if g not in chosen]
        return chosen, left, missing
    large = [g for g, n in sizes.items() if n >= min_group]
    chosen = large[:MAX_STUDY_GROUPS]
    left = [{"group": g, "firms": int(n), "why": "small" if n < min_group else "many"}
            for g, n in sizes.items() if g not in chosen]
    if len(chosen) < 2:
        raise StudyError(f"fewer than two groups of '{by}' have {min_group} firms or more "
                         f"({', '.join(f'{g}: {n}' for g, n in sizes.items()) or 'no group'}): nothing to compare")
    return chosen, left, missing


# --------------------------------------------------------------------------------------------
# The sections
# --------------------------------------------------------------------------------------------


def samples(frame: pd.DataFrame, by: str, groups: Sequence[Any]) -> list[dict[str, Any]]:
    """Firms, weighted firms, Kish's effective size and the share of the weight, per group.

    >>> t = pd.DataFrame({"g": ["a", "a", "b"], "weight": [1.0, 3.0, 4.0]})
    >>> samples(t, "g", ["a", "b"])[0]
    {'group': 'a', 'firms': 2, 'weighted': 4.0, 'n_eff': 1.6, 'weight_share': 0.5}
    """
    w = survey_weights(frame, True)
    total = float(w[frame[by].isin(groups).to_numpy()].sum())
    out = []
    for g in groups:
        sel = (frame[by] == g).to_numpy()
        wg = w[sel]
        out.append({"group": g, "firms": int(sel.sum()), "weighted": float(wg.sum()),
                    "n_eff": float(wg.sum() ** 2 / (wg**2).sum()), "weight_share": float(wg.sum() / total)})
    return out


def class_shares(frame: pd.DataFrame, by: str, groups: Sequence[Any], class_ids: Sequence[str]
                 ) -> dict[str, list[dict[str, Any]]]:
    """Per index, each group's weighted share of firms in each class (``class_ids`` in the framework's order)."""
    w = pd.Series(survey_weights(frame, True), index=frame.index)
    out: dict[str, list[dict[str, Any]]] = {}
    for index in INDICES:
        col = CLASS + index
        if col not in frame:
            continue
        rows = []
        for g in groups:
            sel = frame[by] == g
            total = w[sel].sum()
            shares = w[sel].groupby(frame.loc[sel, col].astype("object")).sum() / total
            rows.append({"group": g, **{c: float(shares.get(c, 0.0)) for c in class_ids}})
        out[index] = rows
    return out


def reliability_by_group(frame: pd.DataFrame, by: str, groups: Sequence[Any], scales: Mapping[str, Sequence[str]],
                         confidence: float = 0.95) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per scale (a dimension and its answers) and group: alpha, its Feldt interval, cases and items.

    Each scale is :func:`innexport.population.groups.grouped_reliability` (pairwise deletion, survey
    weights); returns the rows and the notes (a scale that cannot be computed in a group).
    """
    from innexport.population.groups import grouped_reliability
    from innexport.population.items import ReliabilityError, value_label

    label_of = {value_label(g): g for g in groups}
    rows: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for scale, items in scales.items():
        if len(items) < 2:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                report = grouped_reliability(frame, list(items), by, list(groups), missing="pairwise",
                                             weights=WEIGHT if WEIGHT in frame else None, confidence=confidence)
        except (ReliabilityError, ValueError, np.linalg.LinAlgError) as exc:
            notes.append({"code": "no_reliability", "scale": scale, "detail": str(exc)})
            continue
        for entry in report["groups"]:
            group = label_of.get(entry["group"], entry["group"])
            if entry["error"] is not None:
                notes.append({"code": "no_reliability", "scale": scale, "group": group, "detail": entry["error"]})
                continue
            a = entry["alpha"]
            rows.append({"scale": scale, "group": group, "items": len(items), "n": a["n_cases"], "alpha": a["alpha"],
                         "ci_low": a["ci"]["low"], "ci_high": a["ci"]["high"]})
    return rows, notes


def invariance(frame: pd.DataFrame, by: str, groups: Sequence[Any]) -> dict[str, Any]:
    """Configural, metric and scalar invariance of the activity scores across the groups.

    The factors are the framework's dimensions with two informed activities or more
    (:func:`innexport.population.invariance.dimension_factors`); when there is none, one factor
    (:data:`FACTOR`) over every informed activity. The result is
    :meth:`~innexport.population.invariance.InvarianceResult.to_dict` with, for the report, ``levels``
    (each level's fit and its change from the level below, and whether it holds by the result's
    criterion), ``reached`` and ``freed``.
    """
    from innexport.population.invariance import dimension_factors, measurement_invariance

    factors = dimension_factors(frame)
    if factors is None:
        acts = informed(frame, ACT)
        if len(acts) < 3:
            raise ValueError(f"{len(acts)} informed activities: a factor needs 3 to be tested")
        factors = {FACTOR: acts}
    items = [item for members in factors.values() for item in members]
    result = measurement_invariance(frame, items, by, groups=list(groups), factors=factors).to_dict()
    changes = {c["level"]: c for c in result["comparisons"]}
    levels = []
    for level in ("configural", "metric", "scalar"):
        fit = result["fits"][level]
        change = changes.get(level)
        levels.append({"level": level, "chi2": fit["chi2"], "df": fit["df"], "p": fit["p"], "cfi": fit["cfi"],
                       "rmsea": fit["rmsea"], "srmr": fit["srmr"],
                       "delta_cfi": change["d_cfi"] if change else None,
                       "delta_rmsea": change["d_rmsea"] if change else None,
                       "holds": change["holds"][result["criterion"]] if change else None})
    freed = [f for level in ("metric", "scalar") for f in result["partial"].get(level, [])]
    return {**result, "levels": levels, "reached": str(result["conclusion"]).replace(" ", "_"), "freed": freed}


def means(frame: pd.DataFrame, by: str, groups: Sequence[Any], reference: Any,
          columns_: Sequence[str], confidence: float = 0.95, design: SurveyDesign | None = None) -> list[dict[str, Any]]:
    """Group means with intervals, differences to ``reference`` and effect sizes (:func:`compare_groups`),
    design-based with ``design`` (the groups as domains of the whole design)."""
    from innexport.population.compare import compare_groups

    table = compare_groups(frame, by, list(columns_), confidence=confidence, reference=reference, groups=list(groups),
                           design=design)
    keep = ["column", "group", "n", "n_eff", "mean", "se", "ci_low", "ci_high", "diff", "diff_low", "diff_high",
            "p_diff", "g"]
    return table[keep].to_dict("records")


def group_maps(frame: pd.DataFrame, by: str, groups: Sequence[Any], cols: Sequence[str]
               ) -> tuple[dict[Any, Any], list[dict[str, Any]]]:
    """Each group's PCA map of the activities (the common-space map), and notes for groups without one."""
    from innexport.population.ordination import pca_map

    maps: dict[Any, Any] = {}
    notes: list[dict[str, Any]] = []
    if len(cols) < 3:
        return maps, [{"code": "no_map", "detail": f"{len(cols)} informed activities (3 needed)"}]
    for g in groups:
        part = frame.loc[frame[by] == g]
        try:
            maps[g] = pca_map(part, columns=list(cols))
        except (ValueError, np.linalg.LinAlgError) as exc:
            notes.append({"code": "no_map", "group": g, "detail": str(exc)})
    return maps, notes


def _section(notes: list[dict[str, Any]], code: str, compute: Callable[[], Any],
             errors: tuple[type[BaseException], ...] = (ValueError, np.linalg.LinAlgError)) -> Any:
    """``compute()``, or None with a note ``code`` when the data cannot support the section."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return compute()
    except errors as exc:
        notes.append({"code": code, "detail": str(exc).strip("'\"")})
        return None


def synergy_section(frame: pd.DataFrame, innovation: str, export: str, capabilities: Sequence[str] | str,
                    by: str, groups: Sequence[Any]) -> dict[str, Any]:
    """The bivariate probit of the two outcomes on the capabilities, with the groups as context
    (:func:`innexport.population.synergy.synergy` on the compared groups' firms; ``by`` interactions)."""
    from innexport.population.synergy import synergy

    part = frame.loc[frame[by].isin(list(groups))]
    return synergy(part, innovation, export, capabilities, by=by).to_dict()


def _synergy_errors() -> tuple[type[BaseException], ...]:
    from innexport.population.impact import ImpactError

    return (ImpactError, ValueError, np.linalg.LinAlgError)


def _invariance_errors() -> tuple[type[BaseException], ...]:
    from innexport.population.invariance import InvarianceError
    from innexport.population.items import ReliabilityError

    return (InvarianceError, ReliabilityError, ValueError, np.linalg.LinAlgError)


def study(frame: pd.DataFrame, by: str, groups: Sequence[Any] | None = None, *, reference: Any = None,
          innovation: str | None = None, export: str | None = None, framework: Framework | None = None,
          min_group: int = MIN_STUDY_GROUP, confidence: float = 0.95, paths: Sequence[str | Path] = (),
          frames: Sequence[pd.DataFrame] | None = None, design: SurveyDesign | None = None,
          capabilities: Sequence[str] | str = "dim") -> Study:
    """Compare the groups of ``by`` (see the module docstring for the sections).

    ``reference`` is the group the others are compared with (default: the first group). The
    synergy model needs ``innovation`` and ``export`` (binary outcome columns). ``framework`` is
    the one the table was scored with (default: read from the table's stamp). ``paths`` are the
    data files, hashed into the stamp; ``frames`` the tables as read (for their mappings' stamps)
    when ``frame`` is their :func:`combine`. ``design`` (:class:`~innexport.population.design.SurveyDesign`
    of ``frame``) makes the means' intervals and differences design-based. ``capabilities`` are the
    synergy model's regressors: ``"dim"`` (the dimensions, by default), ``"act"`` (the activities)
    or column names.
    """
    chosen, left, missing = choose_groups(frame, by, groups, min_group)
    if reference is None:
        reference = chosen[0]
    elif reference not in chosen:
        raise StudyError(f"the reference group '{reference}' is not among the compared groups "
                         f"({', '.join(map(str, chosen))})")
    for name, col in (("innovation", innovation), ("export", export)):
        if col is not None and col not in frame:
            raise StudyError(f"--{name} {col}: no such column in the population")
    try:
        fw = framework or stamped_framework(frame)
    except ValueError as exc:
        raise StudyError(str(exc)) from None
    notes: list[dict[str, Any]] = []
    sections: dict[str, Any] = {"stamp": stamp(list(frames) if frames is not None else [frame], paths),
                                "left_out": left, "missing_group": missing, "min_group": min_group,
                                "confidence": confidence, "design": design.to_dict() if design is not None else None}
    sections["samples"] = samples(frame, by, chosen)
    scales = dimension_columns(frame, fw) if fw is not None else {}
    if fw is None:
        notes.append({"code": "no_framework", "detail": "the table has no framework stamp"})
    rel, rel_notes = reliability_by_group(frame, by, chosen, scales, confidence)
    sections["reliability"] = rel
    notes += rel_notes
    sections["invariance"] = _section(notes, "no_invariance", lambda: invariance(frame, by, chosen),
                                      _invariance_errors())
    index_cols = [i for i in INDICES if i in frame] + [DIM + d for d in (
        [d.id for d in fw.dimensions] if fw is not None else [c[len(DIM):] for c in columns(frame, DIM)])
        if DIM + d in frame and frame[DIM + d].notna().mean() > 0]
    sections["means"] = _section(notes, "no_means", lambda: means(frame, by, chosen, reference, index_cols, confidence, design))
    maps, map_notes = group_maps(frame, by, chosen, informed(frame, ACT))
    notes += map_notes
    sections["synergy"] = None
    if innovation is None or export is None:
        notes.append({"code": "no_synergy_outcomes"})
    else:
        sections["synergy"] = _section(notes, "no_synergy", lambda: synergy_section(
            frame, innovation, export, capabilities, by, chosen), _synergy_errors())
    class_ids = [c.id for c in fw.classes] if fw is not None else sorted(
        {str(v) for i in INDICES if CLASS + i in frame for v in frame[CLASS + i].dropna().unique()})
    sections["classes"] = class_shares(frame, by, chosen, class_ids)
    sections["answers"] = len(columns(frame, OBS))
    return Study(by=by, groups=chosen, reference=reference, sections=sections, notes=notes, maps=maps)
