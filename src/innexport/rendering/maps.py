"""Drawing the population maps: a PCA, CA or MCA map as an SVG figure or a standalone HTML page.

The maps are computed by :mod:`innexport.population.ordination` (coordinates, inertias) and the
typology by :mod:`innexport.population.typology`; this module only draws them, by hand, in the
style of the report's charts (:mod:`innexport.rendering.charts`, whose public helpers it uses):

* :func:`map_svg` — firms as points (their id as a hover title), the PCA's variables as arrows in
  the correlation circle, the CA/MCA column categories as labelled triangles; one firm can be
  highlighted, the firms outside a peer group greyed, the points coloured by a column, a series or
  a typology;
* :func:`map_html` — the same map in a standalone HTML page with a legend of its marks, its
  colours and the inertia of its axes (no script, no external resource).

Colours: categories take the Okabe–Ito palette (:data:`CATEGORY_COLORS`, safe for colour-vision
deficiencies), the attitude classes the report's :data:`~innexport.rendering.charts.CLASS_COLORS`,
numbers a light-to-dark blue ramp.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from innexport.core.framework import CLASS_IDS
from innexport.population.frame import display_name
from innexport.population.ordination import MapResult
from innexport.population.typology import Typology
from innexport.rendering.charts import (
    ACCENT,
    CLASS_COLORS,
    FONT,
    GRID,
    INK,
    MUTED,
    coord,
    escape_xml,
    halo_text,
    svg_document,
    text_svg,
    text_width,
    wrap,
)

__all__ = ["CATEGORY_COLORS", "map_html", "map_svg"]

CATEGORY_COLORS: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                                    "#8C6D1F", "#332288")
"""Okabe–Ito based palette (safe for colour-vision deficiencies); categories beyond it are grey."""
OTHER = "#b8bec5"
COLUMN_COLOR = "#b35806"


@dataclass(frozen=True)
class _Colours:
    per_row: np.ndarray  # colour of each row
    legend: list[tuple[str, str]]  # (label, colour)
    title: str
    ramp: tuple[float, float] | None = None


def _blend(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


RAMP = ("#9ecae1", "#08306b")


def _colours(result: MapResult, color_by: object) -> _Colours | None:
    if color_by is None:
        return None
    n = len(result.rows)
    if isinstance(color_by, Typology):
        values, title = color_by.labelled(), "type"
    elif isinstance(color_by, str):
        if result.row_meta is None or color_by not in result.row_meta:
            raise KeyError(f"no column {color_by!r} to colour the map by")
        values, title = result.row_meta[color_by], color_by
    else:
        values = pd.Series(color_by)
        title = str(values.name or "group")
    if len(values) != n:
        raise ValueError(f"color_by must give one value per point ({n})")
    values = pd.Series(values.to_numpy(), index=result.rows.index)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and values.nunique() > 8:
        x = values.to_numpy(dtype=float)
        lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        t = (x - lo) / (hi - lo) if hi > lo else np.zeros(n)
        per_row = np.array([OTHER if v != v else _blend(RAMP[0], RAMP[1], v) for v in t], dtype=object)
        return _Colours(per_row, [], title, (lo, hi))
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in values.cat.categories if (values == c).any()]
    else:
        counts = values.dropna().astype(str).value_counts()
        cats = list(counts.index)
    text = values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v))
    if set(cats) <= set(CLASS_IDS):
        palette = {c: CLASS_COLORS[CLASS_IDS.index(c)] for c in cats}
        cats = [c for c in CLASS_IDS if c in cats]
    else:
        palette = {c: CATEGORY_COLORS[i] for i, c in enumerate(cats[: len(CATEGORY_COLORS)])}
    per_row = np.array([palette.get(v, OTHER) if v is not None else OTHER for v in text], dtype=object)
    legend = [(c, palette[c]) for c in cats if c in palette]
    if len(cats) > len(palette) or text.isna().any():
        legend.append(("other" if len(cats) > len(palette) else "missing", OTHER))
    return _Colours(per_row, legend, title)


def _peer_mask(result: MapResult, peers: object) -> np.ndarray | None:
    if peers is None:
        return None
    n = len(result.rows)
    if isinstance(peers, (pd.Series, np.ndarray)) and np.asarray(peers).dtype == bool:
        mask = np.asarray(peers, dtype=bool)
        if mask.shape != (n,):
            raise ValueError(f"peers must be one boolean per point ({n})")
        return mask
    if not isinstance(peers, Iterable) or isinstance(peers, str):
        raise TypeError("peers must be a boolean mask or a list of firm ids")
    return np.asarray(result.rows.index.isin(list(peers)))


def map_svg(result: MapResult, highlight_firm: object = None, color_by: object = None, *, peers: object = None,
            size: float = 460, title: str | None = None, labels: Mapping[str, str] | None = None,
            max_points: int = 4000, max_labels: int = 30, seed: int = 0, legend: bool = True,
            axes: tuple[int, int] = (0, 1)) -> str:
    """The map as an SVG string, in the style of the report's charts.

    Firms (rows) are points, with their id as a hover title; for a PCA the columns are arrows
    (their correlations with the axes, inside the dashed circle of correlation 1), for a CA/MCA
    labelled triangles in the same units as the rows. ``highlight_firm`` (a row label) is drawn
    large in the firm colour; ``peers`` (a boolean mask such as
    :func:`innexport.population.benchmark.peer_group`'s, or a list of ids) keeps the other firms
    grey; ``color_by`` colours the points by a column of ``row_meta`` (e.g. ``"country"``,
    ``"class.iiep"``, ``"iiep"``), a Series (one value per point, in the map's row order), or a
    :class:`Typology`. At most ``max_points`` firms
    are drawn (a random sample; the highlighted firm always).
    """
    i1, i2 = axes
    rows = result.rows
    if rows.shape[1] <= max(i1, i2):
        raise ValueError("the map has fewer axes than asked")
    names = {**result.labels, **(labels or {})}
    colours = _colours(result, color_by)
    peer = _peer_mask(result, peers)
    xy = rows.iloc[:, [i1, i2]].to_numpy(dtype=float)
    n = len(rows)
    highlight = None
    if highlight_firm is not None:
        hits = np.flatnonzero(rows.index == highlight_firm)
        if len(hits) == 0:
            raise KeyError(f"no firm {highlight_firm!r} on the map")
        highlight = int(hits[0])
    drawn = np.arange(n)
    if n > max_points:
        drawn = np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))
        if highlight is not None and highlight not in drawn:
            drawn = np.sort(np.append(drawn[:-1], highlight))
    cols = result.columns.iloc[:, [i1, i2]].to_numpy(dtype=float) if len(result.columns) else np.empty((0, 2))
    is_pca = result.kind == "pca"
    # extent: every drawn point (and column points for CA), same scale on both axes
    pts = xy[drawn]
    ext = float(np.nanmax(np.abs(pts))) if len(pts) else 1.0
    if not is_pca and len(cols):
        ext = max(ext, float(np.nanmax(np.abs(cols))))
    ext = (ext or 1.0) * 1.08
    arrow_scale = 0.85 * ext / 1.08 if is_pca else 1.0
    left, top, right, bottom = 46.0, 10.0, 12.0, 40.0
    side = float(size)
    legend_w = 190.0 if legend and colours is not None else 0.0
    width, height = left + side + right + legend_w, top + side + bottom
    cx, cy, half = left + side / 2, top + side / 2, side / 2

    def px(x: float, y: float) -> tuple[float, float]:
        return cx + x / ext * half, cy - y / ext * half

    body: list[str] = [(f'<rect x="{coord(left)}" y="{coord(top)}" width="{coord(side)}" height="{coord(side)}" '
                        f'fill="#fafafa" stroke="{GRID}"/>')]
    body.append(f'<line x1="{coord(left)}" y1="{coord(cy)}" x2="{coord(left + side)}" y2="{coord(cy)}" '
                f'stroke="{MUTED}" '
                f'stroke-width="0.7" stroke-dasharray="4 3"/>')
    body.append(f'<line x1="{coord(cx)}" y1="{coord(top)}" x2="{coord(cx)}" y2="{coord(top + side)}" stroke="{MUTED}" '
                f'stroke-width="0.7" stroke-dasharray="4 3"/>')
    if is_pca:
        r = arrow_scale / ext * half
        body.append(f'<circle class="unit" cx="{coord(cx)}" cy="{coord(cy)}" r="{coord(r)}" fill="none" '
                    f'stroke="{GRID}" '
                    f'stroke-width="1" stroke-dasharray="3 3"/>')
    # the rows
    small = result.kind in ("pca", "mca")
    radius = 2.6 if small else 4.5
    meta = result.row_meta

    def row_title(i: int) -> str:
        label = str(rows.index[i])
        if colours is not None and meta is not None and isinstance(color_by, str):
            label += f" · {color_by} = {meta[color_by].iloc[i]}"
        return label

    layers: list[tuple[int, str]] = []
    for i in drawn:
        if i == highlight:
            continue
        x, y = xy[i]
        if x != x or y != y:
            continue
        colour = INK if colours is None else colours.per_row[i]
        if not small:
            colour = "#2166ac" if colours is None else colour
        faded = peer is not None and not peer[i]
        fill = OTHER if faded else colour
        opacity = "0.35" if faded else ("0.7" if small else "1")
        px_, py_ = px(x, y)
        point = (f'<circle class="{"other" if faded else "row"}" cx="{coord(px_)}" cy="{coord(py_)}" '
                 f'r="{coord(radius)}" fill="{fill}" fill-opacity="{opacity}">'
                 f'<title>{escape_xml(row_title(int(i)))}</title></circle>')
        layers.append((0 if faded else 1, point))
        if not small:
            layers.append((2, halo_text(px_ + 6, py_ - 5, str(rows.index[i]), size=10, anchor="start", fill="#2166ac")))
    body.extend(e for _, e in sorted(layers, key=lambda item: item[0]))
    # the columns
    overflow = 0.0
    if len(cols):
        dist = np.hypot(cols[:, 0], cols[:, 1])
        labelled = set(np.argsort(-np.nan_to_num(dist))[:max_labels])
        tags: list[list] = []
        for j, (x, y) in enumerate(cols):
            if x != x or y != y:
                continue
            key = str(result.columns.index[j])
            name = names.get(key, display_name(key))
            if is_pca:
                ex, ey = px(x * arrow_scale, y * arrow_scale)
                body.append(_arrow_svg(cx, cy, ex, ey, name, f"{name}: r = {x:.2f}, {y:.2f}"))
            else:
                ex, ey = px(x, y)
                body.append(f'<polygon class="column" points="{coord(ex)},{coord(ey - 5)} '
                            f'{coord(ex + 4.5)},{coord(ey + 3.5)} {coord(ex - 4.5)},{coord(ey + 3.5)}" '
                            f'fill="{COLUMN_COLOR}"><title>{escape_xml(name)}</title></polygon>')
            if j in labelled:
                anchor = "start" if ex >= cx else "end"
                dx = 5 if ex >= cx else -5
                dy = -2 if ey <= cy else 9
                tags.append([ex + dx, ey + dy, wrap(name, 22, 2), anchor])
        for x, y, lines, anchor in _spread(tags, top + 10, top + side - 2, 9.5 * 1.2):
            wide = max(text_width(line, 9.5) for line in lines)
            if anchor == "start":  # a label past the plot's right edge widens the picture (it is never cut)
                overflow = max(overflow, x + wide + 4 - (left + side + right))
            else:
                x = max(x, wide + 2)
            body.append(halo_text(x, y, lines, size=9.5, anchor=anchor, fill=INK if is_pca else COLUMN_COLOR))
    # the highlighted firm, last so it is on top
    if highlight is not None:
        x, y = xy[highlight]
        hx, hy = px(x, y)
        label = str(rows.index[highlight])
        body.append(f'<circle class="firm" cx="{coord(hx)}" cy="{coord(hy)}" r="6.5" fill="{ACCENT}" stroke="#ffffff" '
                    f'stroke-width="1.8"><title>{escape_xml(row_title(highlight))}</title></circle>')
        anchor, lx = ("start", hx + 10) if hx < left + side - text_width(label, 11) - 14 else ("end", hx - 10)
        body.append(halo_text(lx, hy + 4, label, size=11, anchor=anchor, weight="bold", fill=ACCENT))
    # axes
    body.append(text_svg(cx, top + side + 28, [result.axis_label(i1)], size=11, weight="bold"))
    ax, ay = left - 14, cy
    body.append(text_svg(ax, ay, [result.axis_label(i2)], size=11, weight="bold",
                      extra=f'transform="rotate(-90 {coord(ax)} {coord(ay)})"'))
    if n > len(drawn):
        body.append(text_svg(left + side, top + side + 28, [f"{len(drawn):,} of {n:,} firms shown"], size=9,
                          anchor="end", fill=MUTED))
    if legend and colours is not None:
        body.extend(_legend_svg(left + side + right + overflow + 8, top + 4, colours))
    return svg_document(width + overflow, height, body, title, f"chart map {result.kind}")


def _spread(tags: list[list], low: float, high: float, line: float) -> list[list]:
    """Move labels vertically, on each side separately, so that they do not overlap (order kept)."""
    for anchor in ("start", "end"):
        side = sorted((t for t in tags if t[3] == anchor), key=lambda t: t[1])
        for a, b in itertools.pairwise(side):  # push down
            b[1] = max(b[1], a[1] + line * len(a[2]))
        if side and side[-1][1] + line * (len(side[-1][2]) - 1) > high:  # then back up from the bottom
            side[-1][1] = high - line * (len(side[-1][2]) - 1)
            for b, a in itertools.pairwise(side[::-1]):
                a[1] = min(a[1], b[1] - line * len(a[2]))
        for t in side:
            t[1] = max(t[1], low)
    return tags


def _arrow_svg(x1: float, y1: float, x2: float, y2: float, name: str, tip: str) -> str:
    length = math.hypot(x2 - x1, y2 - y1)
    if length < 1:
        return ""
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    hx, hy = x2 - ux * 6, y2 - uy * 6
    ox, oy = -uy * 3, ux * 3
    head = f"{coord(x2)},{coord(y2)} {coord(hx + ox)},{coord(hy + oy)} {coord(hx - ox)},{coord(hy - oy)}"
    return (f'<g class="arrow"><title>{escape_xml(tip)}</title>'
            f'<line x1="{coord(x1)}" y1="{coord(y1)}" x2="{coord(hx)}" y2="{coord(hy)}" '
            f'stroke="{INK}" stroke-width="1.2"/><polygon points="{head}" fill="{INK}"/></g>')


def _legend_svg(x: float, y: float, colours: _Colours) -> list[str]:
    out = [text_svg(x, y + 10, [colours.title], size=10.5, anchor="start", weight="bold")]
    y += 26
    if colours.ramp is not None:
        steps = 8
        out.extend(f'<rect x="{coord(x + k * 14)}" y="{coord(y - 9)}" width="14" height="10" '
                   f'fill="{_blend(RAMP[0], RAMP[1], k / (steps - 1))}"/>' for k in range(steps))
        out.append(text_svg(x, y + 13, [f"{colours.ramp[0]:.2f}"], size=9, anchor="start", fill=MUTED))
        out.append(text_svg(x + steps * 14, y + 13, [f"{colours.ramp[1]:.2f}"], size=9, anchor="end", fill=MUTED))
        return out
    for label, colour in colours.legend:
        lines = wrap(label, 26, 2)
        out.append(f'<circle cx="{coord(x + 5)}" cy="{coord(y - 3.5)}" r="4.5" fill="{colour}"/>')
        out.append(text_svg(x + 14, y, lines, size=9.5, anchor="start"))
        y += 15 + 11.4 * (len(lines) - 1)
    return out


def map_html(result: MapResult, highlight_firm: object = None, color_by: object = None, *, title: str | None = None,
             lang: str = "en", peers: object = None, size: float = 460, labels: Mapping[str, str] | None = None,
             max_points: int = 4000, max_labels: int = 30, seed: int = 0, axes: tuple[int, int] = (0, 1)) -> str:
    """A standalone HTML page: the map (:func:`map_svg`, whose options it takes), a legend of its marks and
    colours, the axes' inertia."""
    title = title or {"pca": "Map of the firms' capability profiles (PCA)", "ca": "Correspondence analysis map",
                      "mca": "Map of the answers (multiple correspondence analysis)"}[result.kind]
    svg = map_svg(result, highlight_firm, color_by, peers=peers, size=size, title=title, labels=labels,
                  max_points=max_points, max_labels=max_labels, seed=seed, legend=False, axes=axes)
    colours = _colours(result, color_by)
    items: list[str] = []
    if result.kind == "pca":
        items.append(f'<li><span class="dot" style="background:{INK}"></span>a firm (hover for its id)</li>')
        items.append("<li><span class=\"arrow\">→</span>a variable (an activity by default): its correlation with "
                     "the two axes; the dashed "
                     "circle is a correlation of 1. Firms lie toward the arrows of the activities they do well.</li>")
    else:
        items.append('<li><span class="dot" style="background:#2166ac"></span>a row (hover for its name)</li>')
        items.append(f'<li><span class="tri" style="color:{COLUMN_COLOR}">▲</span>a column category; rows and columns '
                     "close together are associated</li>")
    if highlight_firm is not None:
        items.append(f'<li><span class="dot big" style="background:{ACCENT}"></span>{escape(str(highlight_firm))}</li>')
    if peers is not None:
        items.append(f'<li><span class="dot" style="background:{OTHER}"></span>firms outside the peer group</li>')
    colour_items = ""
    if colours is not None:
        if colours.ramp is not None:
            colour_items = (f"<p>Colour: {escape(colours.title)}, from {colours.ramp[0]:.2f} (light) to "
                            f"{colours.ramp[1]:.2f} (dark).</p>")
        else:
            colour_items = f"<h3>{escape(colours.title)}</h3><ul>" + "".join(
                f'<li><span class="dot" style="background:{c}"></span>{escape(label)}</li>'
                for label, c in colours.legend
            ) + "</ul>"
    inertia = "".join(f"<li>{escape(result.axis_label(k))}</li>" for k in range(min(result.rows.shape[1], 4)))
    notes = "".join(f"<li>{escape(nt)}</li>" for nt in result.notes)
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body {{ font-family: {FONT}; color: {INK}; margin: 2rem auto; max-width: 60rem;
  padding: 0 1rem; }}
h1 {{ font-size: 1.3rem; }} h2 {{ font-size: 1.05rem; }} h3 {{ font-size: .95rem; margin-bottom: .3rem; }}
.map {{ display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }} figure {{ margin: 0; }}
.legend {{ flex: 1 1 16rem; }} .legend ul {{ list-style: none; padding: 0; margin: 0 0 .8rem; }}
.legend li {{ margin: .25rem 0; font-size: .9rem; }}
.dot {{ display: inline-block; width: .7rem; height: .7rem; border-radius: 50%; margin-right: .4rem;
  vertical-align: middle; }}
.dot.big {{ width: .9rem; height: .9rem; }} .arrow, .tri {{ display: inline-block; width: 1.1rem; font-weight: bold; }}
.notes {{ color: {MUTED}; font-size: .85rem; }}
</style>
</head>
<body>
<h1>{escape(title)}</h1>
<div class="map">
<figure>{svg}</figure>
<section class="legend">
<h2>Legend</h2>
<ul>{"".join(items)}</ul>
{colour_items}
<h3>Axes</h3>
<ul>{inertia}</ul>
</section>
</div>
{f'<ul class="notes">{notes}</ul>' if notes else ""}
</body>
</html>
"""
