"""Server-drawn SVG charts for the board's maturity report: numbers in, `<svg>` markup out.

The same markup goes into the HTML page and, through WeasyPrint, into the PDF, so it
uses only what both engines draw alike: presentation attributes (no `<style>`, no CSS
classes), no `<script>`, no `<use>` or ids (two charts on one page must not clash), no
external references, a fixed `viewBox` plus `width`/`height` so the chart has a size on
paper. Output is deterministic (coordinates rounded to 2 decimals) so a report can be
compared byte for byte and cached.

Accessibility (WCAG 2.2 AA): each chart is one image (`role="img"`) whose `aria-label`
and `<title>` give every figure in words. Colour never carries meaning alone: each
series also has its own dash pattern and marker shape, and the legend inside the SVG
shows both. Every colour used for lines, markers and borders has at least 3:1 contrast
against white (non-text contrast); NHS warm yellow (1.7:1) is therefore not used.

The geometry helpers (`axis_angle`, `point_on_axis`, `points_attr`, `outline_runs`) are
public so that they can be tested on their own.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Fonts: the report's shipped face first (static/css/report-fonts.css registers it),
# then the same face if installed, then the usual Arial-like fallbacks.
FONT_FAMILY = "'ICS Report Sans', 'Source Sans 3', Arial, sans-serif"
TEXT_COLOUR = "#212B32"  # NHS black: 14.4:1 on white.
GRID_COLOUR = "#768692"  # NHS mid grey: 3.75:1, the lightest NHS grey that meets 3:1.
WHITE = "#FFFFFF"

MIN_AXES, MAX_AXES = 3, 12


@dataclass(frozen=True)
class SeriesStyle:
    """How one kind of series is drawn; colour, dashes and marker each tell it apart."""

    colour: str
    dasharray: str | None  # None draws a solid line.
    marker: str  # "circle", "square", "triangle" or "diamond".
    marker_filled: bool
    area: bool = False  # Shade the inside of a complete outline.


SERIES_STYLES: dict[str, SeriesStyle] = {
    "agreed": SeriesStyle("#005EB8", None, "circle", marker_filled=True, area=True),  # NHS blue, 6.4:1
    "mean": SeriesStyle("#425563", "7 4", "square", marker_filled=False),  # NHS dark grey, 7.8:1
    "last_year": SeriesStyle("#003087", "1 4", "triangle", marker_filled=True),  # NHS dark blue, 11.9:1
    "target": SeriesStyle("#AE2573", "10 4 2 4", "diamond", marker_filled=False),  # NHS pink, 6.3:1
}


@dataclass(frozen=True)
class Series:
    """One line on the radar: a value (or None, "no value") per axis, in axis order."""

    name: str
    values: Sequence[float | None]
    style: str = "agreed"

    def __post_init__(self) -> None:
        if self.style not in SERIES_STYLES:
            raise ValueError(f"Unknown series style {self.style!r}; use one of {', '.join(SERIES_STYLES)}.")


# Radar layout, in user units (1 unit = 1 CSS px). Room is left around the rings for the
# axis labels, and below them for the legend.
RADAR_WIDTH = 480
RADAR_CENTRE = (240.0, 196.0)
RADAR_RADIUS = 150.0
LABEL_GAP = 14.0
LEGEND_GAP = 30.0  # From the lowest axis label to the first legend row.
LEGEND_ROW = 22.0
LEGEND_COLUMNS = 2
LEGEND_LEFT = 36.0
LEGEND_SAMPLE = 36.0

SERIES_WIDTH = 2.5
MARKER_SIZE = 4.5


def num(value: float) -> str:
    """A coordinate with at most 2 decimals and no trailing zeros, so output is stable and small."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def spoken(value: float) -> str:
    """A figure for the text alternative: one decimal, or two when the second one matters (3.0, 3.25)."""
    text = f"{value:.2f}"
    return text[:-1] if text.endswith("0") else text


def axis_angle(index: int, n_axes: int) -> float:
    """Angle of axis `index` in radians, in SVG's y-down coordinates: axis 0 points up, the rest follow clockwise."""
    return -math.pi / 2 + 2 * math.pi * index / n_axes


def check_value(value: float | None, max_level: int) -> None:
    """Refuse a value the chart cannot place: silently clamping would misstate a board's score."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= max_level:
        raise ValueError(f"Value {value!r} is not a number from 0 to {max_level}.")


def point_on_axis(
    value: float,
    index: int,
    n_axes: int,
    *,
    max_level: int = 5,
    centre: tuple[float, float] = RADAR_CENTRE,
    radius: float = RADAR_RADIUS,
) -> tuple[float, float]:
    """Where `value` lies on axis `index`: 0 at the centre, `max_level` on the outer ring."""
    check_value(value, max_level)
    angle = axis_angle(index, n_axes)
    distance = radius * value / max_level
    return centre[0] + distance * math.cos(angle), centre[1] + distance * math.sin(angle)


def points_attr(points: Iterable[tuple[float, float]]) -> str:
    """The `points` attribute of a `<polygon>`/`<polyline>`: "x,y x,y …"."""
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


def outline_runs(values: Sequence[float | None]) -> list[list[int]]:
    """The axis indices to join with lines, as runs of neighbouring axes that have a value.

    A series with no gap is one run of every axis (drawn closed). Where an axis has no
    value the outline breaks there instead of joining the two neighbours across it,
    which would suggest a value that nobody gave. Runs wrap round from the last axis
    to the first, and start after a gap so that a run is never split in two.
    """
    n = len(values)
    if all(value is not None for value in values):
        return [list(range(n))]
    start = next(i for i, value in enumerate(values) if value is None)
    runs: list[list[int]] = []
    current: list[int] = []
    for step in range(1, n + 1):
        index = (start + step) % n
        if values[index] is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(index)
    return runs


def _text(x: float, y: float, content: str, *, size: float, anchor: str = "start", weight: str = "normal") -> str:
    return (
        f'<text x="{num(x)}" y="{num(y)}" font-size="{num(size)}" font-weight="{weight}" '
        f'text-anchor="{anchor}" fill="{TEXT_COLOUR}">{escape(content)}</text>'
    )


def _svg(width: float, height: float, label: str, body: Iterable[str]) -> SafeString:
    """The outer `<svg>`: one image for assistive technology, its data in `aria-label` and `<title>`."""
    # Safe: every text and attribute value inside is escaped or generated here.
    return mark_safe(  # nosec B308, B703: every text is escaped; numbers and colours are ours
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(width)}" height="{num(height)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" role="img" aria-label="{escape(label)}" '
        f'font-family="{FONT_FAMILY}">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _marker(style: SeriesStyle, x: float, y: float) -> str:
    """A data point; the shape tells the series apart in grey-scale print and for colour-blind readers."""
    paint = f'fill="{style.colour if style.marker_filled else WHITE}" stroke="{style.colour}" stroke-width="1.5"'
    s = MARKER_SIZE
    if style.marker == "circle":
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(s - 0.5)}" {paint}/>'
    if style.marker == "square":
        side, corner = 2 * s - 1.5, s - 0.75
        return f'<rect x="{num(x - corner)}" y="{num(y - corner)}" width="{num(side)}" height="{num(side)}" {paint}/>'
    if style.marker == "triangle":
        corners = [(x, y - s - 1), (x + s + 0.5, y + s - 0.5), (x - s - 0.5, y + s - 0.5)]
    else:
        corners = [(x, y - s - 1), (x + s + 1, y), (x, y + s + 1), (x - s - 1, y)]
    return f'<polygon points="{points_attr(corners)}" {paint}/>'


def _stroke(style: SeriesStyle) -> str:
    dashes = f' stroke-dasharray="{style.dasharray}"' if style.dasharray else ""
    return (
        f'stroke="{style.colour}" stroke-width="{num(SERIES_WIDTH)}"{dashes} '
        'stroke-linecap="round" stroke-linejoin="round"'
    )


def _grid(n_axes: int, max_level: int) -> list[str]:
    """Rings at every level and a spoke per axis, drawn first so that the data lies on top."""
    parts = []
    for level in range(1, max_level + 1):
        ring = [point_on_axis(level, i, n_axes, max_level=max_level) for i in range(n_axes)]
        parts.append(f'<polygon points="{points_attr(ring)}" fill="none" stroke="{GRID_COLOUR}" stroke-width="0.75"/>')
    cx, cy = RADAR_CENTRE
    for i in range(n_axes):
        x, y = point_on_axis(max_level, i, n_axes, max_level=max_level)
        parts.append(
            f'<line x1="{num(cx)}" y1="{num(cy)}" x2="{num(x)}" y2="{num(y)}" '
            f'stroke="{GRID_COLOUR}" stroke-width="0.75"/>'
        )
    return parts


def _ring_labels(n_axes: int, max_level: int) -> list[str]:
    """The level of each ring, on a white patch where the ring crosses the gap between the last and first axes.

    No data point lies there (points sit on the axes), so the numbers hide at most a
    sliver of a line, and they are drawn last so that no line hides them.
    """
    parts = []
    for level in range(1, max_level + 1):
        (x1, y1), (x2, y2) = (point_on_axis(level, i, n_axes, max_level=max_level) for i in (n_axes - 1, 0))
        x, y = (x1 + x2) / 2, (y1 + y2) / 2
        parts.append(f'<rect x="{num(x - 4)}" y="{num(y - 6)}" width="8" height="12" fill="{WHITE}"/>')
        parts.append(_text(x, y + 3.5, str(level), size=10, anchor="middle"))
    return parts


def _axis_label(code: str, index: int, n_axes: int) -> str:
    """A section code just outside the outer ring, anchored so that it grows away from the chart."""
    angle = axis_angle(index, n_axes)
    cos, sin = math.cos(angle), math.sin(angle)
    distance = RADAR_RADIUS + LABEL_GAP
    x = RADAR_CENTRE[0] + distance * cos
    # Text sits on its baseline: move it down by about a third of the size to centre it
    # on the point, and further for labels below the centre.
    y = RADAR_CENTRE[1] + distance * sin + 4.5 + 4 * sin
    anchor = "middle" if abs(cos) < 0.2 else ("start" if cos > 0 else "end")
    return _text(x, y, code, size=13, anchor=anchor, weight="bold")


def _series_shapes(series: Series, n_axes: int, max_level: int) -> list[str]:
    style = SERIES_STYLES[series.style]
    points = {
        i: point_on_axis(value, i, n_axes, max_level=max_level)
        for i, value in enumerate(series.values)
        if value is not None
    }
    parts = []
    for run in outline_runs(series.values):
        run_points = points_attr(points[i] for i in run)
        if len(run) == n_axes:
            fill = f'fill="{style.colour}" fill-opacity="0.12"' if style.area else 'fill="none"'
            parts.append(f'<polygon points="{run_points}" {fill} {_stroke(style)}/>')
        elif len(run) > 1:
            parts.append(f'<polyline points="{run_points}" fill="none" {_stroke(style)}/>')
    parts += [_marker(style, x, y) for x, y in points.values()]
    return parts


def _legend(series: Sequence[Series], top: float) -> list[str]:
    """The key, drawn inside the SVG so that it is the same on screen and on paper."""
    parts = []
    column_width = (RADAR_WIDTH - 2 * LEGEND_LEFT) / LEGEND_COLUMNS
    for position, item in enumerate(series):
        style = SERIES_STYLES[item.style]
        row, column = divmod(position, LEGEND_COLUMNS)
        x = LEGEND_LEFT + column * column_width
        y = top + row * LEGEND_ROW
        parts.append(
            f'<line x1="{num(x)}" y1="{num(y)}" x2="{num(x + LEGEND_SAMPLE)}" y2="{num(y)}" {_stroke(style)}/>'
        )
        parts.append(_marker(style, x + LEGEND_SAMPLE / 2, y))
        parts.append(_text(x + LEGEND_SAMPLE + 8, y + 4.5, item.name, size=13))
    return parts


def radar_text(axes: Sequence[str], series: Sequence[Series], *, max_level: int, title: str) -> str:
    """The radar's data in words, axis by axis, for `aria-label` and `<title>`."""
    per_axis = []
    for i, axis in enumerate(axes):
        figures = [f"{item.name} {'no value' if item.values[i] is None else spoken(item.values[i])}" for item in series]
        per_axis.append(f"{axis}: {', '.join(figures)}")
    return f"{title}. Radar chart, levels 0 to {max_level}. {'; '.join(per_axis)}."


def _check_radar(axes: Sequence[str], series: Sequence[Series], max_level: int) -> None:
    if not MIN_AXES <= len(axes) <= MAX_AXES:
        raise ValueError(f"A radar needs {MIN_AXES} to {MAX_AXES} axes, not {len(axes)}.")
    if isinstance(max_level, bool) or not isinstance(max_level, int) or max_level < 1:
        raise ValueError(f"max_level must be a whole number of at least 1, not {max_level!r}.")
    if not series:
        raise ValueError("A radar needs at least one series.")
    styles = [item.style for item in series]
    if len(set(styles)) != len(styles):
        raise ValueError("Two series share a style, so a reader could not tell them apart.")
    for item in series:
        if len(item.values) != len(axes):
            raise ValueError(f"Series {item.name!r} has {len(item.values)} values for {len(axes)} axes.")
        for value in item.values:
            check_value(value, max_level)


def radar(axes: Sequence[str], series: Sequence[Series], *, max_level: int = 5, title: str) -> SafeString:
    """A radar (spider) chart of maturity levels per section, with its legend, as one `<svg>` element.

    `axes` are the section codes, clockwise from the top; each series gives one value per
    axis (None where it has none: its outline breaks there, see `outline_runs`). The legend
    lists the series in the order given and the first is drawn on top, so put the one
    that matters most (usually "Agreed") first.
    `title` leads the text alternative; it is not drawn, the page's caption shows it.
    Raises ValueError on anything the chart could not draw truthfully.
    """
    _check_radar(axes, series, max_level)
    n_axes = len(axes)
    # The legend goes just below the lowest axis label, so a 3-axis triangle leaves no gap.
    lowest = max(math.sin(axis_angle(i, n_axes)) for i in range(n_axes))
    legend_top = RADAR_CENTRE[1] + lowest * (RADAR_RADIUS + LABEL_GAP) + LEGEND_GAP
    height = legend_top + (math.ceil(len(series) / LEGEND_COLUMNS) - 1) * LEGEND_ROW + 16
    body = _grid(n_axes, max_level)
    body += [_axis_label(code, i, n_axes) for i, code in enumerate(axes)]
    for item in reversed(series):
        body += _series_shapes(item, n_axes, max_level)
    body += _ring_labels(n_axes, max_level)
    body += _legend(series, legend_top)
    return _svg(RADAR_WIDTH, height, radar_text(axes, series, max_level=max_level, title=title), body)


# Distribution strip layout: five cells of 28 × 15 on a 32-unit pitch, the mean's
# triangle in the band below them.
LEVELS = (1, 2, 3, 4, 5)
STRIP_WIDTH, STRIP_HEIGHT = 160, 28
CELL_PITCH, CELL_WIDTH, CELL_HEIGHT, CELL_TOP = 32.0, 28.0, 15.0, 3.0
SHADE_COLOUR = "#005EB8"
# (share of the largest count up to, strength of NHS blue). Steps rather than a smooth
# ramp: between about 67% and 83% blue neither white nor black text reaches 4.5:1, so
# those shades are skipped. The lightest step still shows a single score among many.
SHADE_STEPS = ((0.25, 0.12), (0.5, 0.3), (0.75, 0.5), (1.0, 1.0))


def _luminance(colour: str) -> float:
    """Relative luminance as WCAG defines it."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two "#RRGGBB" colours, from 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _shade(share: float) -> str:
    """White for none, then four steps from a pale to the full NHS blue as the share of the largest count grows."""
    if share == 0:
        return WHITE
    strength = next(strength for upper, strength in SHADE_STEPS if share <= upper)
    mixed = [round(255 + (int(SHADE_COLOUR[i : i + 2], 16) - 255) * strength) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def _count_colour(fill: str) -> str:
    """The count's colour: white or NHS black, whichever reads better on the cell."""
    return WHITE if contrast_ratio(fill, WHITE) > contrast_ratio(fill, TEXT_COLOUR) else TEXT_COLOUR


def _level_counts(counts: Mapping[int, int] | Sequence[int]) -> list[int]:
    """Counts for levels 1..5 from a {level: count} mapping (missing levels are 0) or a list of five."""
    if isinstance(counts, Mapping):
        unknown = set(counts) - set(LEVELS)
        if unknown:
            raise ValueError(f"Levels {sorted(unknown)!r} are outside 1 to 5.")
        values = [counts.get(level, 0) for level in LEVELS]
    else:
        values = list(counts)
        if len(values) != len(LEVELS):
            raise ValueError(f"Give 5 counts (levels 1 to 5), not {len(values)}.")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"Count {value!r} is not a whole number of at least 0.")
    return values


def distribution_text(counts: Sequence[int], *, agreed: int | None, mean: float | None, label: str) -> str:
    """The strip's data in words, for `aria-label` and `<title>`."""
    words = f"{label}: individual scores " + ", ".join(
        f"{n} at level {lv}" for lv, n in zip(LEVELS, counts, strict=True)
    )
    if agreed is not None:
        words += f"; agreed level {agreed}"
    if mean is not None:
        words += f"; mean {spoken(mean)}"
    return words + "."


def _cell_x(level: float) -> float:
    """Left edge of the cell for `level`; fractional levels (the mean) fall between cells."""
    return (CELL_PITCH - CELL_WIDTH) / 2 + (level - 1) * CELL_PITCH


def _strip_cell(level: int, count: int, largest: int) -> list[str]:
    """One level's cell, shaded by its count, with the count written in it."""
    fill = _shade(count / largest if largest else 0)
    x = _cell_x(level)
    return [
        f'<rect x="{num(x)}" y="{num(CELL_TOP)}" width="{num(CELL_WIDTH)}" height="{num(CELL_HEIGHT)}" '
        f'fill="{fill}" stroke="{GRID_COLOUR}" stroke-width="1"/>',
        f'<text x="{num(x + CELL_WIDTH / 2)}" y="{num(CELL_TOP + CELL_HEIGHT / 2 + 4)}" font-size="11" '
        f'font-weight="bold" text-anchor="middle" fill="{_count_colour(fill)}">{count}</text>',
    ]


def _agreed_outline(agreed: int) -> str:
    """A heavy frame round the agreed level's cell, clear of its neighbours."""
    return (
        f'<rect x="{num(_cell_x(agreed) - 1.5)}" y="{num(CELL_TOP - 1.5)}" width="{num(CELL_WIDTH + 3)}" '
        f'height="{num(CELL_HEIGHT + 3)}" fill="none" stroke="{TEXT_COLOUR}" stroke-width="2"/>'
    )


def _mean_marker(mean: float) -> str:
    """A triangle under the strip pointing at the mean, on the same scale as the cells' centres."""
    tip_x, tip_y = _cell_x(mean) + CELL_WIDTH / 2, CELL_TOP + CELL_HEIGHT + 3
    triangle = [(tip_x, tip_y), (tip_x + 3.5, tip_y + 6), (tip_x - 3.5, tip_y + 6)]
    return f'<polygon points="{points_attr(triangle)}" fill="{TEXT_COLOUR}"/>'


def distribution_strip(
    counts: Mapping[int, int] | Sequence[int], *, agreed: int | None, mean: float | None = None, label: str
) -> SafeString:
    """How many directors chose each level, as a 160 × 28 strip of five cells (levels 1 to 5, left to right).

    Each cell is shaded by its count relative to the largest (in four steps) and shows
    the count as a number. The agreed level has a heavy outline and the mean a triangle
    below the strip, so neither depends on colour. The caller's table header names the
    levels. `label` (e.g. the line's code) leads the text alternative.
    """
    values = _level_counts(counts)
    if agreed is not None and agreed not in LEVELS:
        raise ValueError(f"Agreed level {agreed!r} is outside 1 to 5.")
    if mean is not None:
        check_value(mean, 5)
        if mean < 1:
            raise ValueError(f"Mean {mean!r} is below level 1.")
    body = [
        part for level, count in zip(LEVELS, values, strict=True) for part in _strip_cell(level, count, max(values))
    ]
    if agreed is not None:
        body.append(_agreed_outline(agreed))
    if mean is not None:
        body.append(_mean_marker(mean))
    text = distribution_text(values, agreed=agreed, mean=mean, label=label)
    return _svg(STRIP_WIDTH, STRIP_HEIGHT, text, body)
