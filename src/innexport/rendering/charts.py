"""Charts of the report as SVG strings drawn by hand: a radar, the innovation × export quadrant, a gauge.

Pure functions, no plotting library: a report renders in milliseconds and the SVG is inlined in
the HTML (and drawn by WeasyPrint for the PDF). Every text is XML-escaped; coordinates are
rounded to 0.1 px. The geometry helpers (:func:`radar_point`, :class:`QuadrantGeometry`) are
public so that tests can check where a value lands.

Colours: :data:`CLASS_COLORS` (best class first) is a blue → red diverging palette (ColorBrewer
RdBu, safe for the common colour-vision deficiencies); :data:`INK` is the text and line colour.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

CLASS_COLORS: tuple[str, ...] = ("#2166ac", "#67a9cf", "#ef8a62", "#b2182b")
"""Proactive, preactive, reactive, passive (best first)."""
CLASS_TINTS: tuple[str, ...] = ("#d1e5f0", "#e7f1f7", "#fde0d2", "#f6d3d3")
"""Light backgrounds of the same classes (zones of the radar and gauges)."""
INK = "#1f2933"
MUTED = "#6b7280"
GRID = "#c7ccd1"
ACCENT = "#5e3c99"
"""The firm's own marks (polygon, point): purple, distinct from every class colour."""
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

__all__ = [
    "ACCENT", "CLASS_COLORS", "CLASS_TINTS", "GAUGE_BAR_HEIGHT", "GAUGE_BAR_TOP", "GAUGE_PAD", "GRID", "INK", "MUTED",
    "QuadrantGeometry", "class_of", "coord", "escape_xml", "gaia_svg", "gauge_svg", "gauge_x", "halo_text", "interval_gauge_svg",
    "portfolio_plane_svg", "quadrant_svg", "radar_point", "radar_svg", "svg_document", "text_svg", "text_width",
    "trajectory_svg", "wrap",
]


def escape_xml(text: object) -> str:
    """XML-escaped text (also safe inside attribute values)."""
    return escape(str(text), quote=True)


def coord(value: float) -> str:
    """A coordinate: rounded to 0.1, without a trailing ``.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else ("0" if text == "-0" else text)


def _clip(value: float) -> float:
    return 0.0 if value != value else min(max(float(value), 0.0), 1.0)


def class_of(value: float | None, thresholds: Sequence[float]) -> int | None:
    """Position (0 = best) of the class of ``value`` given the classes' lower bounds (best first)."""
    if value is None or value != value:
        return None
    for k, lower in enumerate(thresholds):
        if round(value, 9) >= lower:
            return k
    return len(thresholds) - 1


def wrap(text: str, width: int = 16, max_lines: int = 3) -> list[str]:
    """Greedy word wrap of a label into at most ``max_lines`` lines (the last one ellipsised)."""
    words = str(text).split()
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(".,;:") + "…"
    return lines or [""]


def text_svg(x: float, y: float, lines: Sequence[str], *, size: float = 10, anchor: str = "middle",
             fill: str = INK, weight: str = "normal", line_height: float = 1.2, baseline_shift: float = 0.0,
             extra: str = "") -> str:
    """A (multi-line) text element; ``y`` is the baseline of the first line, shifted by ``baseline_shift`` lines."""
    y0 = y + baseline_shift * size * line_height
    attrs = (f'x="{_n(x)}" y="{_n(y0)}" font-size="{_n(size)}" text-anchor="{anchor}" fill="{fill}"'
             + (f' font-weight="{weight}"' if weight != "normal" else "") + (f" {extra}" if extra else ""))
    if len(lines) == 1:
        return f"<text {attrs}>{_x(lines[0])}</text>"
    spans = "".join(
        f'<tspan x="{_n(x)}" dy="{_n(0 if i == 0 else size * line_height)}">{_x(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f"<text {attrs}>{spans}</text>"


def halo_text(x: float, y: float, text: str | Sequence[str], *, size: float, anchor: str = "middle",
              weight: str = "normal", fill: str = INK) -> str:
    """A label readable over lines: a thick white copy drawn first, then the text itself."""
    lines = [text] if isinstance(text, str) else list(text)
    halo = _text(x, y, lines, size=size, anchor=anchor, weight=weight, fill="#ffffff",
                 extra='stroke="#ffffff" stroke-width="3.5" stroke-linejoin="round" aria-hidden="true"')
    return halo + _text(x, y, lines, size=size, anchor=anchor, weight=weight, fill=fill)


def text_width(text: str, size: float) -> float:
    """A rough width of ``text`` in DejaVu Sans at ``size`` (0.6 em per character, bold included)."""
    return len(text) * size * 0.6


def svg_document(width: float, height: float, body: Sequence[str], title: str | None = None,
                 css_class: str = "chart") -> str:
    """The ``<svg>`` element around ``body``: size, view box, font, and ``title`` as its accessible name."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="{_x(css_class)}" width="{_n(width)}" height="{_n(height)}" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" font-family="{FONT}" role="img"')
    if title:
        head += f' aria-label="{_x(title)}"><title>{_x(title)}</title>'
    else:
        head += ">"
    return head + "".join(body) + "</svg>"


# short names for this module's own drawing code
_x, _n, _text, _halo_text, _svg = escape_xml, coord, text_svg, halo_text, svg_document


# --- radar ----------------------------------------------------------------------------------------


def radar_point(i: int, n: int, value: float, cx: float, cy: float, radius: float) -> tuple[float, float]:
    """Where axis ``i`` of ``n`` puts ``value`` (in [0, 1]): the first axis points up, then clockwise."""
    angle = -math.pi / 2 + 2 * math.pi * i / n
    r = _clip(value) * radius
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


def radar_svg(
    labels: Sequence[str],
    values: Sequence[float | None],
    rings: Sequence[float] = (),
    ring_colors: Sequence[str] | None = None,
    ring_labels: Sequence[str] | None = None,
    *,
    size: float = 340,
    radius: float | None = None,
    color: str = ACCENT,
    title: str | None = None,
    value_labels: Sequence[str] | None = None,
) -> str:
    """A radar chart of ``values`` in [0, 1] (``None`` = not assessed, drawn hollow at the centre).

    ``rings`` are the class thresholds (any order; 0 and 1 are implied): the zones between them are
    tinted with ``ring_colors`` (one per zone, outermost first, i.e. best class first) and each
    ring is labelled with its value (``ring_labels``, default the value itself).
    """
    n = len(labels)
    if n < 3:
        raise ValueError("a radar needs at least three axes")
    if len(values) != n:
        raise ValueError(f"{n} labels but {len(values)} values")
    width = size * 1.5
    height = size * 1.04
    cx, cy = width / 2, height / 2
    radius = radius or size * 0.32
    bounds = sorted({_clip(r) for r in rings} - {0.0, 1.0}, reverse=True)
    body: list[str] = []

    def polygon(value: float) -> str:
        return " ".join(f"{_n(x)},{_n(y)}" for x, y in (radar_point(i, n, value, cx, cy, radius) for i in range(n)))

    # class zones: outermost first, each drawn over the previous one
    zones = [1.0, *bounds]
    for k, r in enumerate(zones):
        fill = ring_colors[k] if ring_colors and k < len(ring_colors) else "none"
        stroke = GRID if k == 0 else "#ffffff"
        body.append(f'<polygon points="{polygon(r)}" fill="{fill}" stroke="{stroke}" stroke-width="1"/>')
    for i in range(n):
        x, y = radar_point(i, n, 1.0, cx, cy, radius)
        body.append(f'<line x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{_n(y)}" stroke="{GRID}" stroke-width="0.7"/>')
    ring_labels_out: list[str] = []
    for k, r in enumerate(bounds):
        label = ring_labels[k] if ring_labels and k < len(ring_labels) else f"{r:.2f}"
        body.append(f'<polygon points="{polygon(r)}" fill="none" stroke="{MUTED}" stroke-width="0.6" '
                    f'stroke-dasharray="3 2"/>')
        x, y = radar_point(0, n, r, cx, cy, radius)
        ring_labels_out.append(_halo_text(x + 3, y - 2.5, label, size=9, anchor="start", fill=MUTED))
    # the firm
    pts = [radar_point(i, n, 0.0 if v is None else v, cx, cy, radius) for i, v in enumerate(values)]
    body.append(f'<polygon class="firm" points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in pts)}" fill="{color}" '
                f'fill-opacity="0.18" stroke="{color}" stroke-width="2" stroke-linejoin="round"/>')
    for (x, y), v in zip(pts, values, strict=True):
        if v is None or v != v:
            body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="#ffffff" stroke="{MUTED}" stroke-width="1.2"/>')
        else:
            body.append(f'<circle class="value" cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{color}"/>')
    body.extend(ring_labels_out)  # over the firm's polygon
    # axis labels outside the outer ring: the name (wrapped) and, below it, the value
    font, lh = 11.0, 11.0 * 1.18
    for i, label in enumerate(labels):
        x, y = radar_point(i, n, 1.0, cx, cy, radius + 9)
        dx, dy = x - cx, y - cy
        anchor = "middle" if abs(dx) < radius * 0.25 else ("start" if dx > 0 else "end")
        lines = wrap(label, 17, 3)
        rows = len(lines) + (1 if value_labels is not None else 0)
        block = rows * lh
        if dy < 0 and abs(dx) < radius * 0.45:
            first = y - 2 - block + font
        elif dy > 0 and abs(dx) < radius * 0.45:
            first = y + 3 + font * 0.9
        else:
            first = y - block / 2 + font * 0.85
        body.append(_text(x, first, lines, size=font, anchor=anchor, line_height=1.18))
        if value_labels is not None:
            body.append(_text(x, first + len(lines) * lh, [value_labels[i]], size=font, anchor=anchor, fill=color,
                              weight="bold"))
    return _svg(width, height, body, title, "chart radar")


# --- quadrant ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuadrantGeometry:
    """The plotting area of the quadrant chart: IIP on x (left → right), IEP on y (bottom → top)."""

    left: float = 54.0
    top: float = 8.0
    side: float = 280.0

    @property
    def width(self) -> float:
        return self.left + self.side + 10

    @property
    def height(self) -> float:
        return self.top + self.side + 44

    def xy(self, iip: float, iep: float) -> tuple[float, float]:
        """Pixel position of a firm with these indices."""
        return self.left + _clip(iip) * self.side, self.top + (1.0 - _clip(iep)) * self.side


def quadrant_svg(
    iip: float | None,
    iep: float | None,
    cut: float,
    target: tuple[float, float] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    after: tuple[float | None, float | None] | None = None,
    point_label: str | None = None,
    axis_labels: tuple[str, str] = ("IIP", "IEP"),
    thresholds: Sequence[float] = (),
    class_colors: Sequence[str] = CLASS_COLORS,
    target_label: str | None = None,
    title: str | None = None,
    geometry: QuadrantGeometry = QuadrantGeometry(),
    digits: int = 2,
    decimal: str = ".",
) -> str:
    """The innovation (IIP, x) × export (IEP, y) plane with the firm as a point.

    ``cut`` splits the plane into the four profiles; ``labels`` names them (keys
    ``innovative_exporter``, ``exporter_not_innovating``, ``innovator_not_exporting``,
    ``neither``). ``target`` is the corner (IIP, IEP) of the zone of the next class, drawn dashed;
    ``after`` is where the smallest plan lands (an arrow from the firm). ``thresholds`` (class
    lower bounds, best first) are marked along both axes in ``class_colors``.
    """
    g = geometry
    x0, y0, side = g.left, g.top, g.side
    cx, cy = g.xy(cut, cut)
    body: list[str] = []
    labels = labels or {}
    # quadrant backgrounds: the innovative exporter corner is the goal, slightly tinted
    body.append(f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(side)}" height="{_n(side)}" fill="#fafafa" stroke="{GRID}"/>')
    body.append(f'<rect x="{_n(cx)}" y="{_n(y0)}" width="{_n(x0 + side - cx)}" height="{_n(cy - y0)}" fill="#eef3f8"/>')
    # light grid every 0.1
    for k in range(1, 10):
        v = k / 10
        xa, ya = g.xy(v, v)
        body.append(f'<line x1="{_n(xa)}" y1="{_n(y0)}" x2="{_n(xa)}" y2="{_n(y0 + side)}" stroke="#e5e7eb" stroke-width="0.5"/>')
        body.append(f'<line x1="{_n(x0)}" y1="{_n(ya)}" x2="{_n(x0 + side)}" y2="{_n(ya)}" stroke="#e5e7eb" stroke-width="0.5"/>')
    # class scales along both axes
    bounds = [1.0, *thresholds[:-1], 0.0] if thresholds else []
    for k in range(len(bounds) - 1):
        hi, lo = bounds[k], bounds[k + 1]
        colour = class_colors[k] if k < len(class_colors) else GRID
        xa, _ = g.xy(lo, 0)
        xb, _ = g.xy(hi, 0)
        body.append(f'<rect x="{_n(xa)}" y="{_n(y0 + side)}" width="{_n(xb - xa)}" height="4" fill="{colour}"/>')
        _, ya = g.xy(0, hi)
        _, yb = g.xy(0, lo)
        body.append(f'<rect x="{_n(x0 - 4)}" y="{_n(ya)}" width="4" height="{_n(yb - ya)}" fill="{colour}"/>')
    # target zone of the next class
    if target is not None:
        tx, ty = g.xy(target[0], target[1])
        body.append(f'<rect class="target" x="{_n(tx)}" y="{_n(y0)}" width="{_n(x0 + side - tx)}" height="{_n(ty - y0)}" '
                    f'fill="none" stroke="{INK}" stroke-width="1.2" stroke-dasharray="5 3"/>')
        if target_label:
            body.append(_halo_text(x0 + side - 5, ty + 13, target_label, size=10, anchor="end", weight="bold"))
    # the cut lines
    body.append(f'<line x1="{_n(cx)}" y1="{_n(y0)}" x2="{_n(cx)}" y2="{_n(y0 + side)}" stroke="{INK}" stroke-width="1"/>')
    body.append(f'<line x1="{_n(x0)}" y1="{_n(cy)}" x2="{_n(x0 + side)}" y2="{_n(cy)}" stroke="{INK}" stroke-width="1"/>')
    # quadrant labels, in the outer corners
    size = 10.5
    corners = {  # (x, y of the first baseline, anchor, top?)
        "innovative_exporter": (x0 + side - 5, "end", True),
        "exporter_not_innovating": (x0 + 5, "start", True),
        "innovator_not_exporting": (x0 + side - 5, "end", False),
        "neither": (x0 + 5, "start", False),
    }
    for key, (qx, anchor, top_side) in corners.items():
        if key in labels:
            right = anchor == "end"
            room = (x0 + side - cx) if right else (cx - x0)
            lines = wrap(labels[key], max(8, int((room - 10) / (size * 0.6))), 4)
            qy = y0 + 5 + size if top_side else y0 + side - 6 - (len(lines) - 1) * size * 1.2
            body.append(_halo_text(qx, qy, lines, size=size, anchor=anchor, fill=MUTED))
    # axes: ticks and labels
    for v in (0.0, cut, 1.0):
        xa, ya = g.xy(v, v)
        text = f"{v:.{digits}f}".replace(".", decimal)
        body.append(_text(xa, y0 + side + 17, [text], size=10, fill=MUTED))
        body.append(_text(x0 - 8, ya + 3.5, [text], size=10, anchor="end", fill=MUTED))
    body.append(_text(x0 + side / 2, y0 + side + 36, [axis_labels[0]], size=11.5, weight="bold"))
    ax, ay = x0 - 40, y0 + side / 2
    body.append(_text(ax, ay, [axis_labels[1]], size=11.5, weight="bold",
                      extra=f'transform="rotate(-90 {_n(ax)} {_n(ay)})"'))
    # the plan's landing point and the firm
    if iip is not None and iep is not None and iip == iip and iep == iep:
        px, py = g.xy(iip, iep)
        if after is not None and after[0] is not None and after[1] is not None:
            ax2, ay2 = g.xy(after[0], after[1])
            if math.hypot(ax2 - px, ay2 - py) > 8:
                body.append(_arrow(px, py, ax2, ay2))
                body.append(f'<circle class="after" cx="{_n(ax2)}" cy="{_n(ay2)}" r="4" fill="#ffffff" stroke="{ACCENT}" '
                            f'stroke-width="1.5"/>')
        body.append(f'<circle class="firm" cx="{_n(px)}" cy="{_n(py)}" r="6" fill="{ACCENT}" stroke="#ffffff" '
                    'stroke-width="1.5"/>')
        if point_label:
            room_right, room_left = x0 + side - px - 12, px - x0 - 12
            room = max(room_right, room_left)
            lines = [point_label] if text_width(point_label, 11) <= room else wrap(point_label, max(4, int(room / 6.6)), 2)
            width = max(text_width(line, 11) for line in lines)
            anchor, lx = ("start", px + 9) if width <= room_right else ("end", px - 9)
            below = py < y0 + 24 or (after is not None and after[1] is not None and after[1] > iep + 0.02)
            ly = py + 18 if below else py - 9 - (len(lines) - 1) * 11 * 1.2
            body.append(_halo_text(lx, ly, lines, size=11, anchor=anchor, weight="bold", fill=ACCENT))
    return _svg(g.width, g.height, body, title, "chart quadrant")


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    """A dashed arrow from the firm to where the plan lands, stopping short of both circles."""
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    sx, sy = x1 + ux * 8, y1 + uy * 8
    ex, ey = x2 - ux * 6, y2 - uy * 6
    # arrow head: a small triangle at (ex, ey)
    hx, hy = ex - ux * 7, ey - uy * 7
    px, py = -uy * 3.5, ux * 3.5
    head = f"{_n(ex)},{_n(ey)} {_n(hx + px)},{_n(hy + py)} {_n(hx - px)},{_n(hy - py)}"
    return (f'<line x1="{_n(sx)}" y1="{_n(sy)}" x2="{_n(hx)}" y2="{_n(hy)}" stroke="{ACCENT}" stroke-width="1.5" '
            f'stroke-dasharray="4 2"/><polygon points="{head}" fill="{ACCENT}"/>')


# --- gauges and bars --------------------------------------------------------------------------------

GAUGE_PAD = 6.0
"""Space left and right of a gauge's bar (px)."""
GAUGE_BAR_TOP = 8.0
"""Top of a gauge's bar (px): the value's marker sits above it."""
GAUGE_BAR_HEIGHT = 10.0
"""Height of a gauge's bar (px)."""


def gauge_x(value: float, width: float = 200) -> float:
    """Where ``value`` (clipped to [0, 1]) lands on a gauge ``width`` px wide.

    >>> gauge_x(0.5), gauge_x(1.4, 212), gauge_x(0.0)
    (100.0, 206.0, 6.0)
    """
    return GAUGE_PAD + _clip(value) * (width - 2 * GAUGE_PAD)


def gauge_svg(
    value: float | None,
    thresholds: Sequence[float],
    *,
    colors: Sequence[str] = CLASS_COLORS,
    tints: Sequence[str] = CLASS_TINTS,
    width: float = 200,
    height: float = 36,
    tick_labels: Sequence[str] | None = None,
    title: str | None = None,
) -> str:
    """A horizontal gauge of [0, 1] split into the class zones (lower bounds ``thresholds``, best first).

    The value is a dark marker; the zone it falls in is drawn in its full class colour, the other
    zones tinted; each threshold is labelled under the bar (``tick_labels``, default the value).
    """
    pad = GAUGE_PAD
    bar_w = width - 2 * pad
    bar_y, bar_h = GAUGE_BAR_TOP, GAUGE_BAR_HEIGHT
    current = class_of(value, thresholds)
    bounds = [1.0, *thresholds]
    body: list[str] = []
    for k in range(len(thresholds)):
        hi = bounds[k]
        lo = thresholds[k]
        xa = pad + lo * bar_w
        fill = colors[k] if k == current else tints[k]
        body.append(f'<rect x="{_n(xa)}" y="{_n(bar_y)}" width="{_n((hi - lo) * bar_w)}" height="{_n(bar_h)}" fill="{fill}"/>')
    ticks = sorted(
        (pad + lo * bar_w, tick_labels[k] if tick_labels and k < len(tick_labels) else f"{lo:.2f}")
        for k, lo in enumerate(thresholds[:-1])
    )
    anchors = ["middle"] * len(ticks)
    for k in range(len(ticks) - 1):  # neighbours too close for centred labels: push them apart
        if ticks[k + 1][0] - ticks[k][0] < text_width(ticks[k][1], 9) / 2 + text_width(ticks[k + 1][1], 9) / 2 + 3:
            anchors[k], anchors[k + 1] = "end", "start"
    for (xa, label), anchor in zip(ticks, anchors, strict=True):
        body.append(f'<line x1="{_n(xa)}" y1="{_n(bar_y - 2)}" x2="{_n(xa)}" y2="{_n(bar_y + bar_h + 2)}" '
                    'stroke="#ffffff" stroke-width="1.2"/>')
        shift = {"end": -1.5, "start": 1.5}.get(anchor, 0.0)
        body.append(_text(xa + shift, bar_y + bar_h + 12, [label], size=9, anchor=anchor, fill=MUTED))
    if value is not None and value == value:
        xv = pad + _clip(value) * bar_w
        body.append(f'<polygon class="marker" points="{_n(xv - 5)},{_n(bar_y - 7)} {_n(xv + 5)},{_n(bar_y - 7)} '
                    f'{_n(xv)},{_n(bar_y - 1)}" fill="{INK}"/>')
        body.append(f'<line x1="{_n(xv)}" y1="{_n(bar_y - 1)}" x2="{_n(xv)}" y2="{_n(bar_y + bar_h)}" stroke="{INK}" '
                    'stroke-width="2"/>')
    return _svg(width, height, body, title, "chart gauge")


def interval_gauge_svg(
    value: float | None,
    low: float,
    high: float,
    thresholds: Sequence[float],
    *,
    width: float = 200,
    height: float = 36,
    tick_labels: Sequence[str] | None = None,
    title: str | None = None,
    description: str | None = None,
) -> str:
    """The gauge of :func:`gauge_svg` with an interval ``[low, high]`` of the value drawn on it as
    whiskers: a line across the bar from ``low`` to ``high`` with a cap at each end (group
    ``interval``), so that the reader sees at once whether the interval crosses a class threshold.

    ``description`` (the interval and the class's stability in words) becomes the chart's
    ``<desc>``, its accessible description next to ``title``.

    >>> svg = interval_gauge_svg(0.5, 0.25, 0.75, [0.61, 0.41, 0.29, 0.0], title="IIP", description="0.25 to 0.75")
    >>> '<desc>0.25 to 0.75</desc>' in svg, svg.count('<line class="whisker"')
    (True, 3)
    """
    svg = gauge_svg(value, thresholds, width=width, height=height, tick_labels=tick_labels, title=title)
    lo, hi = sorted((float(low), float(high)))
    xl, xh = gauge_x(lo, width), gauge_x(hi, width)
    mid = GAUGE_BAR_TOP + GAUGE_BAR_HEIGHT / 2
    top, bottom = GAUGE_BAR_TOP - 1.5, GAUGE_BAR_TOP + GAUGE_BAR_HEIGHT + 1.5
    segments = [(xl, mid, xh, mid), (xl, top, xl, bottom), (xh, top, xh, bottom)]
    halo = "".join(f'<line x1="{_n(a)}" y1="{_n(b)}" x2="{_n(c)}" y2="{_n(d)}" stroke="#ffffff" stroke-width="3.6"/>'
                   for a, b, c, d in segments)
    ink = "".join(f'<line class="whisker" x1="{_n(a)}" y1="{_n(b)}" x2="{_n(c)}" y2="{_n(d)}" stroke="{INK}" '
                  'stroke-width="1.4"/>' for a, b, c, d in segments)
    marks = f'<g class="interval" aria-hidden="true">{halo}{ink}</g>'
    at = svg.find('<polygon class="marker"')
    svg = svg[:at] + marks + svg[at:] if at >= 0 else svg[: svg.rfind("</svg>")] + marks + "</svg>"
    if description:
        head_end = svg.find("</title>") + len("</title>") if title else svg.find(">") + 1
        svg = svg[:head_end] + f"<desc>{_x(description)}</desc>" + svg[head_end:]
    return svg


# --- trajectory ---------------------------------------------------------------------------------------


def trajectory_svg(
    points: Sequence[tuple[float | None, float | None]],
    cut: float,
    labels: Mapping[str, str] | None = None,
    *,
    current: int | None = None,
    compared: Sequence[int] = (),
    point_labels: Sequence[str] | None = None,
    axis_labels: tuple[str, str] = ("IIP", "IEP"),
    thresholds: Sequence[float] = (),
    class_colors: Sequence[str] = CLASS_COLORS,
    title: str | None = None,
    geometry: QuadrantGeometry = QuadrantGeometry(),
    digits: int = 2,
    decimal: str = ".",
) -> str:
    """A firm's successive diagnostics on the innovation (IIP, x) × export (IEP, y) plane: the
    quadrant chart of :func:`quadrant_svg`, the diagnostics joined by arrows, oldest first.

    ``points`` are the (IIP, IEP) of each diagnostic in date order; one with a missing index is
    left out. ``current`` (default: the last point placed) is drawn as the firm's point (filled,
    labelled with its ``point_labels`` entry); the other ``compared`` points are highlighted
    (class ``compared``: a larger ring, labelled); every other point is a small ring titled with
    its label, of class ``earlier`` or ``later`` than the current one. The steps between the
    compared points are solid arrows, the others dashed and lighter; a step shorter than 12 px
    (the rings overlap) is not drawn.
    """
    g = geometry
    names = list(point_labels) if point_labels is not None else [""] * len(points)
    if len(names) != len(points):
        raise ValueError(f"{len(points)} points but {len(names)} point labels")
    xy = {k: g.xy(x, y) for k, (x, y) in enumerate(points) if x is not None and y is not None and x == x and y == y}
    placed = list(xy)
    if current is None or current not in placed:
        current = placed[-1] if placed else None

    def plane(iip: float | None, iep: float | None, point_label: str | None = None) -> str:
        return quadrant_svg(iip, iep, cut, labels=labels, point_label=point_label, axis_labels=axis_labels,
                            thresholds=thresholds, class_colors=class_colors, title=title, geometry=g, digits=digits,
                            decimal=decimal)

    if current is None:
        return plane(None, None)
    highlighted = {k for k in compared if k in placed} | {current}
    svg = plane(points[current][0], points[current][1], point_label=names[current] or None)
    span = (min(highlighted), max(highlighted))
    marks = [(f'<defs><marker id="trajectory-head" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" '
              f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="{ACCENT}"/>'
              '</marker></defs>')]
    for k0, k1 in itertools.pairwise(placed):
        (x0, y0), (x1, y1) = xy[k0], xy[k1]
        length = math.hypot(x1 - x0, y1 - y0)
        if length < 12:
            continue
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        strong = span[0] <= k0 and k1 <= span[1]
        style = ('stroke-width="1.8" stroke-opacity="0.85"' if strong
                 else 'stroke-width="1.2" stroke-opacity="0.45" stroke-dasharray="4 3"')
        marks.append(f'<line class="step{" compared" if strong else ""}" x1="{_n(x0 + 5 * ux)}" y1="{_n(y0 + 5 * uy)}" '
                     f'x2="{_n(x1 - 8 * ux)}" y2="{_n(y1 - 8 * uy)}" stroke="{ACCENT}" {style} '
                     'marker-end="url(#trajectory-head)"/>')
    for k in placed:
        if k == current:
            continue
        x, y = xy[k]
        position = "earlier" if k < current else "later"
        if k in highlighted:
            marks.append(f'<circle class="{position} compared" cx="{_n(x)}" cy="{_n(y)}" r="5" fill="#ffffff" '
                         f'stroke="{ACCENT}" stroke-width="2"><title>{_x(names[k])}</title></circle>')
            if names[k]:  # beside the ring, inside the plot: right if there is room, above in the lower half
                room_right = g.left + g.side - x - 10
                anchor, lx = ("start", x + 7) if text_width(names[k], 10) <= room_right else ("end", x - 7)
                ly = y - 9 if y > g.top + g.side / 2 else y + 17
                marks.append(_halo_text(lx, ly, names[k], size=10, anchor=anchor, fill=ACCENT))
        else:
            marks.append(f'<circle class="{position}" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="#ffffff" '
                         f'stroke="{ACCENT}" stroke-width="1.2"><title>{_x(names[k])}</title></circle>')
    at = svg.find('<circle class="firm"')
    return svg[:at] + "".join(marks) + svg[at:]


# --- the portfolio's plane ----------------------------------------------------------------------------


def portfolio_plane_svg(
    iip: Sequence[float | None],
    iep: Sequence[float | None],
    class_pos: Sequence[int | None],
    cut: float,
    *,
    labels: Mapping[str, str] | None = None,
    axis_labels: tuple[str, str] = ("IIP", "IEP"),
    thresholds: Sequence[float] = (),
    class_colors: Sequence[str] = CLASS_COLORS,
    titles: Sequence[str] | None = None,
    max_points: int = 2000,
    bins: int = 40,
    title: str | None = None,
    geometry: QuadrantGeometry = QuadrantGeometry(),
    decimal: str = ".",
) -> str:
    """Many firms on the innovation (IIP, x) × export (IEP, y) plane, on the frame of :func:`quadrant_svg`.

    Up to ``max_points`` firms: one small dot per firm, coloured by ``class_pos`` (0 = best class,
    None = no class: grey), with ``titles`` as tooltips if given. Beyond: a density grid of
    ``bins`` × ``bins`` cells, each shaded by its number of firms (log scale, tooltip = the number),
    so the chart stays light whatever the number of firms. Firms without both indices are left out.
    """
    import numpy as np

    x = np.asarray(iip, dtype=float)
    y = np.asarray(iep, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    svg = quadrant_svg(None, None, cut, labels=labels, axis_labels=axis_labels, thresholds=thresholds,
                       class_colors=class_colors, title=title, geometry=geometry, decimal=decimal)
    g = geometry
    marks: list[str] = []
    n = int(keep.sum())
    if n <= max_points:
        radius = 3.5 if n <= 300 else 2.6
        pos = list(class_pos)
        for k in np.flatnonzero(keep).tolist():
            px, py = g.xy(float(x[k]), float(y[k]))
            c = pos[k]
            colour = class_colors[c] if c is not None and 0 <= c < len(class_colors) else GRID
            tip = f"<title>{_x(titles[k])}</title>" if titles is not None and titles[k] else ""
            marks.append(f'<circle class="dot" cx="{_n(px)}" cy="{_n(py)}" r="{_n(radius)}" fill="{colour}" '
                         f'fill-opacity="0.75" stroke="#ffffff" stroke-width="0.4">{tip}</circle>' if tip else
                         f'<circle class="dot" cx="{_n(px)}" cy="{_n(py)}" r="{_n(radius)}" fill="{colour}" '
                         f'fill-opacity="0.75" stroke="#ffffff" stroke-width="0.4"/>')
    else:
        counts, _xe, _ye = np.histogram2d(np.clip(x[keep], 0, 1), np.clip(y[keep], 0, 1), bins=bins,
                                          range=[[0.0, 1.0], [0.0, 1.0]])
        marks.extend(_density_cells(counts, g.left, g.top + g.side, g.side / bins, ACCENT))
    cx, _cy = g.xy(cut, cut)
    anchor = f'<line x1="{_n(cx)}" y1="{_n(g.top)}" x2="{_n(cx)}" y2="{_n(g.top + g.side)}" stroke="{INK}"'
    at = svg.find(anchor)
    at = at if at >= 0 else svg.rfind("</svg>")
    return svg[:at].replace('class="chart quadrant"', 'class="chart quadrant plane"', 1) + "".join(marks) + svg[at:]


# --- the GAIA plane ------------------------------------------------------------------------------------


def _density_cells(counts: Any, left: float, bottom: float, cell: float, colour: str) -> list[str]:
    """A density grid's squares (``counts[i, j]``: column i from ``left``, row j up from ``bottom``), shaded on
    a log scale of their number of firms, with that number as tooltip; empty squares are not drawn."""
    import numpy as np

    top = float(np.log1p(counts.max())) or 1.0
    cells = []
    for i, j in zip(*np.nonzero(counts), strict=True):
        c = int(counts[i, j])
        opacity = 0.12 + 0.83 * float(np.log1p(c)) / top
        cells.append(f'<rect class="density" x="{_n(left + i * cell)}" y="{_n(bottom - (j + 1) * cell)}" '
                     f'width="{_n(cell)}" height="{_n(cell)}" fill="{colour}" fill-opacity="{opacity:.2f}">'
                     f"<title>{c}</title></rect>")
    return cells


def gaia_svg(
    firms: Sequence[Sequence[float]],
    criteria: Sequence[Sequence[float]],
    criteria_labels: Sequence[str],
    stick: Sequence[float],
    *,
    titles: Sequence[str] | None = None,
    stick_label: str = "π",
    title: str | None = None,
    max_points: int = 2000,
    bins: int = 40,
    size: float = 480,
) -> str:
    """The GAIA plane (Brans & Mareschal 2005, §5.5): firms as dots, each criterion as an axis from
    the centre, the decision stick as a thick arrow (:func:`innexport.core.promethee.gaia` gives the
    coordinates).

    The criteria's axes and the stick are unit-vector projections (length ≤ 1); they are drawn
    scaled by the farthest firm's distance from the centre, so that both read on one picture (the
    usual GAIA display; only directions and relative lengths carry meaning). Up to ``max_points``
    firms: one dot each, with ``titles`` as tooltips if given (never for a masked portfolio); beyond,
    a density grid of ``bins`` × ``bins`` squares shaded by their number of firms (tooltip: the number).

    >>> svg = gaia_svg([[0.5, 0.1], [-0.5, -0.1]], [[0.8, 0.6], [0.6, -0.8]], ["A", "B"], [0.7, 0.1],
    ...                titles=["F1", "F2"], title="GAIA")
    >>> svg.count('class="dot"'), svg.count('class="criterion"'), 'class="stick"' in svg, "<title>F1</title>" in svg
    (2, 2, True, True)
    """
    import numpy as np

    xy = np.asarray(firms, dtype=float).reshape(-1, 2)
    axes = np.asarray(criteria, dtype=float).reshape(-1, 2)
    pi = np.asarray(stick, dtype=float).reshape(2)
    reach = float(np.hypot(xy[:, 0], xy[:, 1]).max()) if len(xy) else 0.0
    scale = reach if reach > 1e-12 else 1.0
    extent = 1.18 * max(scale, float(np.hypot(axes[:, 0], axes[:, 1]).max()) * scale if len(axes) else scale)
    pad = 46.0
    half = size / 2 - pad
    cx = cy = size / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return cx + x / extent * half, cy - y / extent * half

    body: list[str] = [
        f'<rect x="{_n(pad)}" y="{_n(pad)}" width="{_n(2 * half)}" height="{_n(2 * half)}" fill="#ffffff" stroke="{GRID}"/>',
        f'<line x1="{_n(pad)}" y1="{_n(cy)}" x2="{_n(size - pad)}" y2="{_n(cy)}" stroke="{GRID}" stroke-dasharray="3 3"/>',
        f'<line x1="{_n(cx)}" y1="{_n(pad)}" x2="{_n(cx)}" y2="{_n(size - pad)}" stroke="{GRID}" stroke-dasharray="3 3"/>',
    ]
    n = len(xy)
    if n <= max_points:
        radius = 3.5 if n <= 300 else 2.4
        for k in range(n):
            px, py = at(float(xy[k, 0]), float(xy[k, 1]))
            tip = f"<title>{_x(titles[k])}</title>" if titles is not None and titles[k] else ""
            dot = (f'<circle class="dot" cx="{_n(px)}" cy="{_n(py)}" r="{_n(radius)}" fill="{CLASS_COLORS[1]}" '
                   f'fill-opacity="0.7" stroke="#ffffff" stroke-width="0.4"')
            body.append(f"{dot}>{tip}</circle>" if tip else f"{dot}/>")
    else:
        counts, _xe, _ye = np.histogram2d(xy[:, 0], xy[:, 1], bins=bins, range=[[-extent, extent], [-extent, extent]])
        body.extend(_density_cells(counts, pad, size - pad, 2 * half / bins, CLASS_COLORS[1]))
    for (ax, ay), label in zip(axes.tolist(), criteria_labels, strict=True):
        ex, ey = at(ax * scale, ay * scale)
        body.append(f'<line class="criterion" x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(ex)}" y2="{_n(ey)}" stroke="{INK}" '
                    f'stroke-width="1.2"/>')
        length = math.hypot(ex - cx, ey - cy) or 1.0
        lx, ly = ex + (ex - cx) / length * 8, ey + (ey - cy) / length * 8 + 3
        anchor = "start" if ex > cx + 4 else "end" if ex < cx - 4 else "middle"
        body.append(_halo_text(lx, ly, wrap(label, 22, 2), size=9, anchor=anchor))
    sx, sy = at(float(pi[0]) * scale, float(pi[1]) * scale)
    length = math.hypot(sx - cx, sy - cy)
    if length > 1e-6:
        ux, uy = (sx - cx) / length, (sy - cy) / length
        hx, hy = sx - ux * 9, sy - uy * 9
        px, py = -uy * 5, ux * 5
        head = f"{_n(sx)},{_n(sy)} {_n(hx + px)},{_n(hy + py)} {_n(hx - px)},{_n(hy - py)}"
        body.append(f'<g class="stick"><line x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(hx)}" y2="{_n(hy)}" stroke="{ACCENT}" '
                    f'stroke-width="3.5"/><polygon points="{head}" fill="{ACCENT}"/></g>')
        body.append(_halo_text(sx + ux * 10, sy + uy * 10 + 4, stick_label, size=11, weight="bold", fill=ACCENT,
                               anchor="start" if ux >= 0 else "end"))
    return _svg(size, size, body, title=title, css_class="chart gaia")
