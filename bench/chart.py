"""A small dependency-free SVG chart of a benchmark summary."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

COLOURS = {"hello": "#888888", "small": "#4c8bf5", "large": "#f28b30"}
WIDTH, PANEL_H, TOP, LEFT = 760, 220, 40, 70


def _bars(
    title: str,
    groups: list[tuple[str, list[tuple[str, float]]]],
    y0: int,
    unit: str,
) -> list[str]:
    peak = max((v for _, bars in groups for _, v in bars), default=1) or 1
    out = [f'<text x="{LEFT}" y="{y0 - 12}" font-weight="bold">{escape(title)}</text>']
    plot_w = WIDTH - LEFT - 20
    group_w = plot_w / max(len(groups), 1)
    base = y0 + PANEL_H
    out.append(
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - 20}" y2="{base}" stroke="#333"/>'
    )
    for gi, (label, bars) in enumerate(groups):
        bar_w = (group_w - 20) / max(len(bars), 1)
        gx = LEFT + gi * group_w + 10
        for bi, (series, value) in enumerate(bars):
            h = (PANEL_H - 16) * value / peak  # room for the value label
            x = gx + bi * bar_w
            out.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS.get(series.split()[0], "#555")}" '
                f'fill-opacity="{0.55 if series.endswith("p99") else 1}">'
                f"<title>{escape(series)}: {value:g} {unit}</title></rect>"
            )
            out.append(
                f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{base - h - 3:.1f}" '
                f'font-size="10" text-anchor="middle">{value:.0f}</text>'
            )
        out.append(
            f'<text x="{gx + (group_w - 20) / 2:.1f}" y="{base + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return out


def write_chart(summary: dict[str, Any], path: Path) -> None:
    endpoints = summary["endpoints"]
    hello = summary["hello"]
    rps = [("hello world", [("hello", hello["rps"])])] + [
        (name, [(size, data[size]["rps"]) for size in ("small", "large")])
        for name, data in endpoints.items()
    ]
    latency = [
        (
            "hello world",
            [("hello p50", hello["p50_ms"]), ("hello p99", hello["p99_ms"])],
        )
    ] + [
        (
            name,
            [
                (f"{size} {q}", data[size][f"{q}_ms"])
                for size in ("small", "large")
                for q in ("p50", "p99")
            ],
        )
        for name, data in endpoints.items()
    ]
    height = TOP + 2 * (PANEL_H + 70) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="18">blue: small database, orange: large, grey: '
        f"hello world; pale: p99 ({summary['settings']['workers']} workers)</text>",
    ]
    parts += _bars("Requests per second", rps, TOP + 20, "req/s")
    parts += _bars(
        "Latency in ms (per size: p50, then p99)", latency, TOP + PANEL_H + 110, "ms"
    )
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")
