"""Inline SVG charts: nothing to load, nothing to execute, readable when printed."""

from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

import numpy as np

from risk_assets.vocabulary import STATUSES

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
        x = label_w
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
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" class="chart-tick">{tick:+.1f}</text>'.replace("-", "\u2212"))
    mx = left + (min(max(median, -1.5), 1.5) + 1.5) / 3.0 * (width - left)
    parts.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="5" y2="{bottom}" stroke="{marker}" stroke-width="2" '
                 f'stroke-dasharray="4 3"/>')
    parts.append(f'<line x1="{left}" x2="{width}" y1="{bottom}" y2="{bottom}" stroke="#999"/></svg>')
    return "".join(parts)
