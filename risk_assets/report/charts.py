"""Inline SVG charts: nothing to load, nothing to execute, readable when printed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import numpy as np

from risk_assets.vocabulary import CRIT, INSUFFICIENT, LEVEL_INSUFFICIENT, LEVEL_OK_PARTIAL, OK, STATUSES, WARN

STATUS_ORDER = STATUSES


def stacked_bars(rows: Sequence[tuple[str, Mapping[str, int]]], labels: Mapping[str, str],
                 colours: Mapping[str, str], title: str) -> str:
    """One horizontal bar per domain, split by status, with counts written on the segments."""
    width, label_w, bar_h, gap = 640, 130, 26, 12
    height = len(rows) * (bar_h + gap) + 40
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (name, counts) in enumerate(rows):
        y = i * (bar_h + gap)
        total = sum(counts.get(s, 0) for s in STATUS_ORDER) or 1
        x: float = label_w
        parts.append(f'<text x="0" y="{y + bar_h * 0.7:.1f}" class="chart-label">{escape(name)}</text>')
        for status in STATUS_ORDER:
            n = counts.get(status, 0)
            if not n:
                continue
            w = (width - label_w) * n / total
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colours[status]}">'
                         f'<title>{escape(labels[status])}: {n}</title></rect>')
            if w > 24:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + bar_h * 0.7:.1f}" class="chart-count">{n}</text>')
            x += w
    legend_y = len(rows) * (bar_h + gap) + 18
    x = label_w
    for status in STATUS_ORDER:
        parts.append(f'<rect x="{x}" y="{legend_y - 11}" width="12" height="12" fill="{colours[status]}"/>'
                     f'<text x="{x + 16}" y="{legend_y}" class="chart-legend">{escape(labels[status])}</text>')
        x += 120
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: np.ndarray, median: float, title: str, colour: str, marker: str) -> str:
    """Counts of Δθ in 0.1-logit bins from −1.5 to 1.5 (outside values in the end bins), median marked."""
    edges = np.round(np.arange(-1.5, 1.5001, 0.1), 10)
    counts, _ = np.histogram(np.clip(values, -1.4999, 1.4999), bins=edges)
    width, height, bottom, left = 640, 220, 190, 30
    bin_w = (width - left) / len(counts)
    top = max(int(counts.max()), 1)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, n in enumerate(counts):
        h = (bottom - 10) * n / top
        parts.append(f'<rect x="{left + i * bin_w:.1f}" y="{bottom - h:.1f}" width="{bin_w - 1:.1f}" '
                     f'height="{h:.1f}" fill="{colour}"><title>{edges[i]:.1f} … {edges[i + 1]:.1f}: {n}</title></rect>')
    for tick in (-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5):
        x = left + (tick + 1.5) / 3.0 * (width - left)
        label = f"{tick:+.1f}".replace("-", "\u2212")  # a true minus sign, on the number only (not the class)
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" class="chart-tick">{label}</text>')
    mx = left + (min(max(median, -1.5), 1.5) + 1.5) / 3.0 * (width - left)
    parts.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="5" y2="{bottom}" stroke="{marker}" stroke-width="2" '
                 f'stroke-dasharray="4 3"/>')
    parts.append(f'<line x1="{left}" x2="{width}" y1="{bottom}" y2="{bottom}" stroke="#999"/></svg>')
    return "".join(parts)


# Level marks of a trajectory: a shape each, so that they read in black and white too; coloured as the statuses.
_MARK_STATUS = {CRIT: CRIT, WARN: WARN, OK: OK, LEVEL_OK_PARTIAL: OK, LEVEL_INSUFFICIENT: INSUFFICIENT}
_MIN_THETA_SPAN = 0.5  # logits: a flat line stays flat instead of magnifying noise


def _mark(level: str, x: float, y: float, colour: str) -> str:
    if level == CRIT:
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if level == WARN:
        return f'<path d="M{x:.1f} {y - 4:.1f}L{x + 4:.1f} {y + 3:.1f}L{x - 4:.1f} {y + 3:.1f}Z" fill="{colour}"/>'
    if level == OK:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
    if level == LEVEL_OK_PARTIAL:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
    return f'<path d="M{x - 3.5:.1f} {y:.1f}H{x + 3.5:.1f}" stroke="{colour}" stroke-width="2"/>'


def _runs(present: Sequence[bool]) -> list[list[int]]:
    """Consecutive indices where `present` holds: a missing week breaks the line."""
    runs, current = [], []
    for i, here in enumerate(present):
        if here:
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    return runs + ([current] if current else [])


def trajectory(points: Sequence, colours: Mapping[str, str], title: str) -> str:
    """A small sparkline of θ per week (points: [level, θ, se] or None), its ±1 SE band where se is known, and one
    level mark per week below it; a week without data is a gap with a faint dot."""
    width, x0, step, top, bottom, marks_y = 132, 8, 23, 3, 25, 34
    xs = [x0 + i * step for i in range(len(points))]
    theta = [None if p is None else p[1] for p in points]
    se = [None if p is None else p[2] for p in points]
    known = {i: t for i, t in enumerate(theta) if t is not None}  # week index → θ
    band = {i: (t + s, t - s) for i, (t, s) in enumerate(zip(theta, se))  # week index → (θ + se, θ − se)
            if t is not None and s is not None}
    spread = [upper for upper, _ in band.values()] + [lower for _, lower in band.values()] + list(known.values())
    # The <title> names the image for screen readers (role="img"): written once, as 300 rows carry one each.
    parts = [f'<svg class="trajectory" role="img" viewBox="0 0 {width} 40" width="{width}" height="40">'
             f'<title>{escape(title)}</title>']
    if spread:
        lo, hi = min(spread), max(spread)
        if hi - lo < _MIN_THETA_SPAN:
            lo, hi = (lo + hi - _MIN_THETA_SPAN) / 2, (lo + hi + _MIN_THETA_SPAN) / 2

        def y(value: float) -> float:
            return bottom - (value - lo) / (hi - lo) * (bottom - top)

        for run in _runs([i in band for i in range(len(points))]):
            upper = " ".join(f"{xs[i]:.1f},{y(band[i][0]):.1f}" for i in run)
            lower = " ".join(f"{xs[i]:.1f},{y(band[i][1]):.1f}" for i in reversed(run))
            if len(run) == 1:
                i = run[0]
                parts.append(f'<rect class="se" x="{xs[i] - 3:.1f}" y="{y(band[i][0]):.1f}" width="6" '
                             f'height="{y(band[i][1]) - y(band[i][0]):.1f}" fill="{colours["band"]}"/>')
            else:
                parts.append(f'<polygon class="se" points="{upper} {lower}" fill="{colours["band"]}"/>')
        for run in _runs([i in known for i in range(len(points))]):
            line = " ".join(f"{xs[i]:.1f},{y(known[i]):.1f}" for i in run)
            if len(run) > 1:
                parts.append(f'<polyline points="{line}" fill="none" stroke="{colours["line"]}" stroke-width="1.5"/>')
            parts += [f'<circle class="theta" cx="{xs[i]:.1f}" cy="{y(known[i]):.1f}" r="2" fill="{colours["line"]}"/>'
                      for i in run]
    for x, point in zip(xs, points):
        if point is None:
            parts.append(f'<circle class="gap" cx="{x:.1f}" cy="{marks_y}" r="1" fill="#999"/>')
        else:
            parts.append(f'<g class="mark" data-level="{point[0]}">'
                         f'{_mark(point[0], x, marks_y, colours[_MARK_STATUS[point[0]]])}</g>')
    parts.append("</svg>")
    return "".join(parts)
