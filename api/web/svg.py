"""Sparklines as inline SVG, drawn by our own code (no chart library, no front-end build).

A sparkline is two polylines in a small viewBox: the actual daily hen-day % (solid; days without
data break the line) and the breed standard (dashed).  Output is markup-safe: only numbers and
fixed attribute text go into it; the accessible title is escaped.
"""

from __future__ import annotations

import math

import numpy as np
from markupsafe import Markup, escape

PAD = 2.0


def _scale(values: np.ndarray, lo: float, hi: float, height: float) -> np.ndarray:
    span = hi - lo or 1.0
    return height - PAD - (values - lo) / span * (height - 2 * PAD)


def _segments(xs: np.ndarray, ys: np.ndarray) -> list[str]:
    """``points`` attributes of the runs of finite values (a NaN breaks the line)."""
    out: list[str] = []
    run: list[str] = []
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if math.isnan(y):
            if run:
                out.append(" ".join(run))
            run = []
        else:
            run.append(f"{x:.1f},{y:.1f}")
    if run:
        out.append(" ".join(run))
    return out


def sparkline(
    actual: np.ndarray, standard: np.ndarray, title: str, width: int = 160, height: int = 40
) -> Markup:
    """Actual vs standard on a shared y-axis fitted to both (never below 0 or above 100 %)."""
    both = np.concatenate([actual, standard])
    finite = both[np.isfinite(both)]
    lo = max(0.0, float(finite.min()) - 2.0) if finite.size else 0.0
    hi = min(100.0, float(finite.max()) + 2.0) if finite.size else 100.0
    n = max(len(actual), 2)
    xs = PAD + np.arange(len(actual)) * (width - 2 * PAD) / (n - 1)
    parts = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'preserveAspectRatio="none"><title>{escape(title)}</title>'
    ]
    for pts in _segments(xs, _scale(standard, lo, hi, height)):
        parts.append(f'<polyline class="std" points="{pts}"/>')
    for pts in _segments(xs, _scale(actual, lo, hi, height)):
        parts.append(f'<polyline class="act" points="{pts}"/>')
    last = np.flatnonzero(np.isfinite(actual))
    if last.size:
        i = int(last[-1])
        y = float(_scale(actual[i : i + 1], lo, hi, height)[0])
        parts.append(f'<circle class="act" cx="{xs[i]:.1f}" cy="{y:.1f}" r="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
