"""Inline SVG of a weighted directed graph between outlets (who echoes whom), for the self-contained report."""

from __future__ import annotations

import datetime as dt
import math

from markupsafe import Markup, escape

from .charts import PALETTE


def propagation_graph(edges: list[tuple[str, str, int]], *, size: int = 520, max_nodes: int = 14) -> Markup:
    """Outlets on a circle; an arrow from the outlet that had a passage first to each that repeated it, width by count."""
    if not edges:
        return Markup('<p class="empty">no passage echoed across outlets</p>')
    weight: dict[str, int] = {}
    for a, b, n in edges:
        weight[a] = weight.get(a, 0) + n
        weight[b] = weight.get(b, 0) + n
    nodes = sorted(weight, key=lambda o: (-weight[o], o))[:max_nodes]
    shown = [(a, b, n) for a, b, n in edges if a in nodes and b in nodes]
    cx = cy = size / 2
    radius = size / 2 - 90
    pos = {o: (cx + radius * math.cos(2 * math.pi * k / len(nodes) - math.pi / 2),
               cy + radius * math.sin(2 * math.pi * k / len(nodes) - math.pi / 2)) for k, o in enumerate(nodes)}
    nmax = max(n for _, _, n in shown) if shown else 1
    parts = [f'<svg class="chart" role="img" width="{size}" height="{size}" viewBox="0 0 {size} {size}" xmlns="http://www.w3.org/2000/svg">',
             '<defs><marker id="ns-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">'
             f'<path d="M0,0 L10,5 L0,10 z" fill="{PALETTE[1]}"/></marker></defs>']
    for a, b, n in shown:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        # Bend each arrow to its right so A→B and B→A stay apart.
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = x2 - x1, y2 - y1
        qx, qy = mx + 0.15 * dy, my - 0.15 * dx
        # Stop short of the node circle.
        ex, ey = x2 - 14 * (x2 - qx) / math.hypot(x2 - qx, y2 - qy), y2 - 14 * (y2 - qy) / math.hypot(x2 - qx, y2 - qy)
        width = 1 + 7 * n / nmax
        parts.append(f'<path d="M{x1:.1f},{y1:.1f} Q{qx:.1f},{qy:.1f} {ex:.1f},{ey:.1f}" fill="none" stroke="{PALETTE[1]}" '
                     f'stroke-opacity="0.55" stroke-width="{width:.1f}" marker-end="url(#ns-arrow)">'
                     f'<title>{escape(a)} → {escape(b)}: {n} echoed passage{"s" if n != 1 else ""}</title></path>')
    for o in nodes:
        x, y = pos[o]
        label = o if len(o) <= 22 else o[:21] + "…"
        anchor = "start" if x > cx + 1 else "end" if x < cx - 1 else "middle"
        lx = x + (16 if anchor == "start" else -16 if anchor == "end" else 0)
        ly = y + (4 if anchor != "middle" else (-16 if y < cy else 24))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="{PALETTE[0]}"><title>{escape(o)}: {weight[o]}</title></circle>'
                     f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def story_timeline(rows: list[tuple[str, list[tuple[str, str]]]], *, width: int = 640, row_height: int = 22) -> Markup:
    """One row per story: a dot per (date, outlet) document on a shared day axis, coloured by outlet."""
    dated = [(label, [(d, o) for d, o in docs if d and len(d) >= 10]) for label, docs in rows]
    dated = [(label, docs) for label, docs in dated if docs]
    if not dated:
        return Markup('<p class="empty">no dated stories</p>')
    def day(s: str) -> int:
        try:
            return dt.date.fromisoformat(s[:10]).toordinal()
        except ValueError:
            return 0

    days = [day(d) for _, docs in dated for d, _ in docs if day(d)]
    if not days:
        return Markup('<p class="empty">no dated stories</p>')
    lo, hi = min(days), max(days)
    label_w, pad = 230, 10
    plot_w = width - label_w - 2 * pad
    outlets = sorted({o for _, docs in dated for _, o in docs})
    colour = {o: PALETTE[k % len(PALETTE)] for k, o in enumerate(outlets)}
    legend: list[tuple[str, float, int]] = []  # (outlet, x, line)
    x, line = float(label_w), 0
    for o in outlets:
        step = 20 + 7 * len(o)
        if x + step > width and x > label_w:
            x, line = float(label_w), line + 1
        legend.append((o, x, line))
        x += step
    height = row_height * len(dated) + 50 + 18 * line
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for k, (label, docs) in enumerate(dated):
        y = 10 + k * row_height
        text = label if len(label) <= 34 else label[:33] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 4}" text-anchor="end" font-size="11">{escape(text)}<title>{escape(label)}</title></text>'
                     f'<line x1="{label_w}" y1="{y}" x2="{width - pad}" y2="{y}" stroke="#ddd"/>')
        for d, o in docs:
            x = label_w + pad + (plot_w * (day(d) - lo) / (hi - lo) if hi > lo else plot_w / 2)
            parts.append(f'<circle cx="{x:.1f}" cy="{y}" r="5" fill="{colour[o]}" fill-opacity="0.8"><title>{escape(o)} {escape(d[:10])}</title></circle>')
    y = 10 + len(dated) * row_height
    parts.append(f'<text x="{label_w + pad}" y="{y + 4}" font-size="10" fill="#444">{dt.date.fromordinal(lo).isoformat()}</text>'
                 f'<text x="{width - pad}" y="{y + 4}" font-size="10" fill="#444" text-anchor="end">{dt.date.fromordinal(hi).isoformat()}</text>')
    for o, x, line in legend:
        ly = y + 26 + 18 * line
        parts.append(f'<circle cx="{x + 5:.1f}" cy="{ly}" r="5" fill="{colour[o]}"/><text x="{x + 13:.1f}" y="{ly + 4}" font-size="11">{escape(o)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
