"""The dashboard's charts: which figures each one shows, its words in the
reader's language, drawn as small SVG on the server (no JavaScript, no CDN)."""

from __future__ import annotations

import textwrap

from markupsafe import Markup, escape

from services.intake.web.language import (
    field_label,
    gettext,
    number,
    percent,
    status_label,
)
from shared.i18n import N_

COLOURS = ("#123c69", "#ac3b61", "#3a7d44", "#e0a100", "#5b5f97")


def dashboard(view: dict) -> dict[str, Markup]:
    """Every chart of the dashboard, from its view (`read_dashboard`)."""
    s, lag = view["summary"], view["lag"]
    demand = sorted(
        (
            (field_label(k), v["monthly_capacity"], v["open_requests"])
            for k, v in s["fields"].items()
            if v["monthly_capacity"] or v["open_requests"]
        ),
        key=lambda x: -x[2],
    )[:15]
    return {
        "funnel": bars(
            gettext("Funnel: requests that reached each stage"),
            [(status_label(k), v) for k, v in s["funnel"].items()],
        ),
        "times": times_chart(s),
        "supply": paired(
            gettext("Supply and demand by field"),
            demand,
            (gettext("monthly capacity"), gettext("open requests")),
        ),
        "waitlist": bars(
            gettext("Waitlist by field"),
            [(field_label(k), v) for k, v in s["waitlist_by_field"].items()],
            colour=COLOURS[1],
        ),
        "utilisation": bars(
            gettext("Host utilisation this month"),
            [
                (h["name"], round(100 * h["booked"] / max(h["capacity"], 1)))
                for h in (view["busiest"] or {"hosts": []})["hosts"][:15]
            ],
            unit=percent(0).replace("0", ""),  # "%" or " %", as the reader writes it
            colour=COLOURS[3],
        ),
        "trend": columns(
            gettext("Requests, proposals and confirmations per week"),
            [
                (w["week"][-3:], (w["requests"], w["proposals"], w["confirmations"]))
                for w in view["trend"]
            ],
            (gettext("requests"), gettext("proposals"), gettext("confirmations")),
        ),
        "lag": bars(
            gettext("Consumer lag"),
            lag_by_topic(lag) if isinstance(lag, list) else [],
            colour=COLOURS[4],
        ),
    }


def times_chart(s: dict) -> Markup:
    """p50 and p95 to proposal and to confirmation, in the unit that reads best."""
    values = [
        (f"{gettext(label)} {q}", s[key][q] or 0)
        for label, key in (
            (N_("to proposal"), "time_to_proposal_s"),
            (N_("to confirmation"), "time_to_confirmation_s"),
        )
        for q in ("p50", "p95")
    ]
    top = max(v for _, v in values)
    divisor, unit = (
        (1, "\u00a0s")
        if top < 120
        else (60, "\u00a0min")
        if top < 7200
        else (3600, "\u00a0h")
    )
    return bars(
        gettext("Time to proposal and to confirmation"),
        [(label, round(v / divisor, 1)) for label, v in values],
        unit=unit,
        colour=COLOURS[2],
    )


def lag_by_topic(rows: list[dict]) -> list[tuple[str, int]]:
    """The chart sums partitions; /ops/api/consumers keeps them apart."""
    total: dict[str, int] = {}
    for r in rows:
        key = f"{r['group']} · {r['topic']}"
        total[key] = total.get(key, 0) + r["lag"]
    return list(total.items())


def bars(
    title: str,
    items: list[tuple[str, float]],
    *,
    width: int = 520,
    unit: str = "",
    colour: str = COLOURS[0],
) -> Markup:
    """Horizontal bars, one per (label, value); a long label wraps."""
    row, pad = 24, 8
    lines = [label_lines(label) for label, _ in items]
    height = (
        pad * 2
        + 22
        + sum(row + LINE * (len(ls) - 1) for ls in lines)
        + (0 if items else row)
    )
    top = max((v for _, v in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
        f'<text x="{pad}" y="{pad + 12}" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    if not items:
        parts.append(
            f'<text x="{pad}" y="{pad + 40}" font-size="12" fill="#666">—</text>'
        )
    y = pad + 22
    for (_, value), label in zip(items, lines, strict=True):
        w = int((width - LABEL_W - 70) * (value / top)) if value else 0
        parts.append(
            _label_text(pad, y + 15, label)
            + f'<rect x="{LABEL_W}" y="{y + 3}" width="{max(w, 1)}" height="{row - 8}" fill="{colour}"/>'
            f'<text x="{LABEL_W + w + 6}" y="{y + 15}" font-size="12">{_fmt(value)}{escape(unit)}</text>'
        )
        y += row + LINE * (len(label) - 1)
    parts.append("</svg>")
    return Markup("".join(parts))


def paired(
    title: str,
    items: list[tuple[str, float, float]],
    legend: tuple[str, str],
    width: int = 520,
) -> Markup:
    """Two bars per label (supply and demand, say); a long label wraps."""
    row, pad = 30, 8
    lines = [label_lines(label) for label, _, _ in items]
    height = (
        pad * 2
        + 40
        + sum(row + LINE * (len(ls) - 1) for ls in lines)
        + (0 if items else row)
    )
    top = max((max(a, b) for _, a, b in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
        f'<text x="{pad}" y="{pad + 12}" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{pad}" y="{pad + 20}" width="10" height="10" fill="{COLOURS[0]}"/>'
        f'<text x="{pad + 14}" y="{pad + 29}" font-size="11">{escape(legend[0])}</text>'
        f'<rect x="{pad + 160}" y="{pad + 20}" width="10" height="10" fill="{COLOURS[1]}"/>'
        f'<text x="{pad + 174}" y="{pad + 29}" font-size="11">{escape(legend[1])}</text>',
    ]
    y = pad + 40
    for (_, a, b), label in zip(items, lines, strict=True):
        span = width - LABEL_W - 50
        wa, wb = int(span * a / top), int(span * b / top)
        parts.append(
            _label_text(pad, y + 15, label)
            + f'<rect x="{LABEL_W}" y="{y + 2}" width="{max(wa, 1)}" height="11" fill="{COLOURS[0]}"/>'
            f'<text x="{LABEL_W + wa + 4}" y="{y + 11}" font-size="10">{_fmt(a)}</text>'
            f'<rect x="{LABEL_W}" y="{y + 14}" width="{max(wb, 1)}" height="11" fill="{COLOURS[1]}"/>'
            f'<text x="{LABEL_W + wb + 4}" y="{y + 24}" font-size="10">{_fmt(b)}</text>'
        )
        y += row + LINE * (len(label) - 1)
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    title: str,
    items: list[tuple[str, tuple[float, ...]]],
    legend: tuple[str, ...],
    *,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Vertical bars grouped per label (one group per week, say), one colour
    per series of the legend."""
    pad, top_h, bottom_h = 8, 44, 20
    plot_h = height - top_h - bottom_h
    top = max((v for _, values in items for v in values), default=0) or 1
    group_w = (width - 2 * pad) / max(len(items), 1)
    bar_w = max((group_w - 6) / max(len(legend), 1), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
        f'<text x="{pad}" y="{pad + 12}" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for k, name in enumerate(legend):
        x = pad + k * 130
        parts.append(
            f'<rect x="{x}" y="{pad + 20}" width="10" height="10" fill="{COLOURS[k % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{pad + 29}" font-size="11">{escape(name)}</text>'
        )
    base = top_h + plot_h
    parts.append(
        f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#999"/>'
    )
    for i, (label, values) in enumerate(items):
        x0 = pad + i * group_w + 3
        for k, value in enumerate(values):
            h = int(plot_h * value / top) if value else 0
            parts.append(
                f'<rect x="{x0 + k * bar_w:.1f}" y="{base - max(h, 1)}" width="{max(bar_w - 1, 1):.1f}"'
                f' height="{max(h, 1)}" fill="{COLOURS[k % len(COLOURS)]}">'
                f"<title>{escape(str(label))} · {escape(legend[k])}: {_fmt(value)}</title></rect>"
            )
        parts.append(
            f'<text x="{x0:.1f}" y="{base + 14}" font-size="10">{escape(str(label))[:8]}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


# A bar's label: lines of at most LABEL_CHARS characters (12 px text, about
# 7 px a character, fits LABEL_W less a margin), cut at words, LINE px apart.
LABEL_W, LABEL_CHARS, LINE = 190, 24, 14


def label_lines(label, max_lines: int = 3) -> list[str]:
    """`label` wrapped at words into lines that stay left of the bars; past
    `max_lines`, the last ends with an ellipsis."""
    lines = textwrap.wrap(str(label), LABEL_CHARS) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: LABEL_CHARS - 1].rstrip() + "…"
    return lines


def _label_text(x: int, y: int, lines: list[str]) -> str:
    spans = "".join(
        f'<tspan x="{x}" dy="{0 if i == 0 else LINE}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{x}" y="{y}" font-size="12">{spans}</text>'


def _fmt(value) -> str:
    """A figure in the reader's way of writing numbers; whole from 100 up."""
    if value is None:
        return "—"
    return number(value, 0 if float(value).is_integer() or value >= 100 else 1)
