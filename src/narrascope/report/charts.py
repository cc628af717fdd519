"""Inline SVG charts for the self-contained report (no JavaScript, no network)."""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ["#3b6ea5", "#d1603d", "#5a9e6f", "#a05195", "#e0a526", "#4fa3a5", "#8c6d46", "#c44e52", "#6b6ecf", "#7f7f7f"]


def bar_chart(rows: list[tuple[str, float]], *, width: int = 560, bar_height: int = 20, unit: str = "", max_rows: int = 20) -> Markup:
    """Horizontal bar chart of (label, value) rows, largest first as given."""
    rows = rows[:max_rows]
    if not rows:
        return Markup('<p class="empty">nothing yet</p>')
    label_w = min(220, max(60, 7 * max(len(str(r[0])) for r in rows)))
    vmax = max(v for _, v in rows) or 1
    plot_w = width - label_w - 60
    height = bar_height * len(rows) + 8
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(rows):
        y = 4 + i * bar_height
        w = max(1.0, plot_w * value / vmax)
        text = str(label)
        if len(text) > 32:
            text = text[:31] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" font-size="12">{escape(text)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{bar_height - 5}" fill="{PALETTE[0]}"><title>{escape(str(label))}: {value:g}{escape(unit)}</title></rect>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="11" fill="#444">{value:g}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(rows: list[tuple[str, float]], *, width: int = 640, height: int = 180) -> Markup:
    """Vertical columns over time-ordered (label, value) rows, e.g. documents per month."""
    if not rows:
        return Markup('<p class="empty">no dates known</p>')
    vmax = max(v for _, v in rows) or 1
    n = len(rows)
    plot_h = height - 40
    col_w = min(48.0, max(4.0, (width - 40) / n))
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    step = max(1, n // 12)
    for i, (label, value) in enumerate(rows):
        h = plot_h * value / vmax
        x = 30 + i * col_w
        parts.append(f'<rect x="{x:.1f}" y="{10 + plot_h - h:.1f}" width="{col_w * 0.8:.1f}" height="{h:.1f}" fill="{PALETTE[1]}">'
                     f'<title>{escape(str(label))}: {value:g}</title></rect>')
        if i % step == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="10" transform="rotate(-30 {x:.1f} {height - 12})">{escape(str(label))}</text>')
    parts.append(f'<text x="2" y="14" font-size="10" fill="#444">{vmax:g}</text></svg>')
    return Markup("".join(parts))


def share_table(rows: list[tuple[str, str, float]], *, columns: tuple[str, ...] | None = None) -> Markup:
    """A row × column table of counts, each cell shaded by its share of the row (a heat table).

    ``rows`` are (row label, column label, count); columns default to the labels seen,
    most frequent first.
    """
    counts: dict[str, dict[str, float]] = {}
    col_totals: dict[str, float] = {}
    for row, col, n in rows:
        counts.setdefault(row, {})[col] = counts.get(row, {}).get(col, 0) + n
        col_totals[col] = col_totals.get(col, 0) + n
    if not counts:
        return Markup('<p class="empty">nothing yet</p>')
    cols = list(columns or ()) + sorted((c for c in col_totals if c not in (columns or ())), key=lambda c: -col_totals[c])
    parts = ['<table class="heat"><tr><th></th>']
    parts += [f"<th>{escape(c.replace('_', ' '))}</th>" for c in cols]
    parts.append("<th>total</th></tr>")
    for row, cells in counts.items():
        total = sum(cells.values()) or 1
        parts.append(f"<tr><td>{escape(row)}</td>")
        for c in cols:
            n = cells.get(c, 0)
            share = n / total
            style = f' style="background: rgba(59,110,165,{0.08 + 0.6 * share:.2f})"' if n else ""
            parts.append(f'<td class="num"{style} title="{escape(c)}: {n:g} of {total:g} ({100 * share:.0f}%)">{n:g}</td>')
        parts.append(f'<td class="num">{sum(cells.values()):g}</td></tr>')
    parts.append("</table>")
    return Markup("".join(parts))


def timeline_chart(buckets: list[str], series: list[tuple[str, list[float]]], *, width: int = 640, height: int = 200) -> Markup:
    """One line per series over time-ordered buckets (days or months), with a legend; no JavaScript."""
    if not buckets or not series:
        return Markup('<p class="empty">no dated documents</p>')
    vmax = max((v for _, values in series for v in values), default=0) or 1
    legend_h = 16 * ((len(series) + 2) // 3)
    plot_h = height - 44
    left, right = 34, width - 10
    step = (right - left) / max(1, len(buckets) - 1)
    total_h = height + legend_h
    parts = [f'<svg class="chart" role="img" width="{width}" height="{total_h}" viewBox="0 0 {width} {total_h}" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{10 + plot_h}" x2="{right}" y2="{10 + plot_h}" stroke="#bbb"/>',
             f'<text x="2" y="14" font-size="10" fill="#444">{vmax:g}</text>']
    every = max(1, len(buckets) // 8)
    for i, b in enumerate(buckets):
        if i % every == 0:
            x = left + i * step
            parts.append(f'<text x="{x:.1f}" y="{height - 18}" font-size="10" text-anchor="middle">{escape(b)}</text>')
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [(left + i * step, 10 + plot_h - plot_h * v / vmax) for i, v in enumerate(values)]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), b, v in zip(points, buckets, values):
            if v:
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(name)} · {escape(b)}: {v:g}</title></circle>')
        lx, ly = 10 + (k % 3) * (width // 3), height + 4 + 16 * (k // 3)
        label = name if len(name) <= 34 else name[:33] + "…"
        parts.append(f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{lx + 14}" y="{ly + 9}" font-size="11">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
