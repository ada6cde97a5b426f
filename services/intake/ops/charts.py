"""The dashboard's charts: which figures each one shows, its words in the
reader's language, drawn as small SVG on the server (no JavaScript, no CDN)."""

from __future__ import annotations

from markupsafe import Markup, escape

from services.intake.web.language import field_label, gettext, status_label
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
            unit=" %",
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
        (1, " s") if top < 120 else (60, " min") if top < 7200 else (3600, " h")
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
    """Horizontal bars, one per (label, value)."""
    row, label_w, pad = 24, 170, 8
    height = pad * 2 + 22 + row * max(len(items), 1)
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
    for i, (label, value) in enumerate(items):
        y = pad + 22 + i * row
        w = int((width - label_w - 70) * (value / top)) if value else 0
        parts.append(
            f'<text x="{pad}" y="{y + 15}" font-size="12">{escape(str(label))[:28]}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1)}" height="{row - 8}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="12">{_fmt(value)}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def paired(
    title: str,
    items: list[tuple[str, float, float]],
    legend: tuple[str, str],
    width: int = 520,
) -> Markup:
    """Two bars per label (supply and demand, say)."""
    row, label_w, pad = 30, 170, 8
    height = pad * 2 + 40 + row * max(len(items), 1)
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
    for i, (label, a, b) in enumerate(items):
        y = pad + 40 + i * row
        span = width - label_w - 50
        wa, wb = int(span * a / top), int(span * b / top)
        parts.append(
            f'<text x="{pad}" y="{y + 15}" font-size="12">{escape(str(label))[:28]}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{max(wa, 1)}" height="11" fill="{COLOURS[0]}"/>'
            f'<text x="{label_w + wa + 4}" y="{y + 11}" font-size="10">{_fmt(a)}</text>'
            f'<rect x="{label_w}" y="{y + 14}" width="{max(wb, 1)}" height="11" fill="{COLOURS[1]}"/>'
            f'<text x="{label_w + wb + 4}" y="{y + 24}" font-size="10">{_fmt(b)}</text>'
        )
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


def _fmt(value) -> str:
    if value is None:
        return "—"
    return (
        f"{value:.0f}" if float(value).is_integer() or value >= 100 else f"{value:.1f}"
    )
