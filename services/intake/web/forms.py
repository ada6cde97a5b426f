"""The intranet forms as the bodies the use cases take, and a saved host
profile back as the form's inputs: flat form fields (`win-0-date`,
`mon-1-start`, `off-0-end`...) to and from the JSON API's shapes, times
read in the zone the form names."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.config import is_number
from shared.statuses import DAYS

COMMON_LANGUAGES = ("fr", "en", "de", "es", "it", "pt", "nl", "ar", "zh")
WINDOW_ROWS = 3
DAY_RANGES = 2
TIME_OFF_ROWS = 2
MIDNIGHT = "24:00"  # a weekly end; a time input shows it as 00:00
LAST_MINUTE = timedelta(minutes=1)  # a window ending at midnight ends the day before


def _local_iso(date: str, time: str, tz: str) -> str | None:
    if not date or not time:
        return None
    try:
        zone = ZoneInfo(tz)
    except Exception:
        zone = ZoneInfo("UTC")
    try:
        return datetime.fromisoformat(f"{date}T{time}").replace(tzinfo=zone).isoformat()
    except ValueError:
        return f"{date}T{time}"  # left for the validator to refuse


def request_body(form) -> dict:
    tz = form.get("timezone", "").strip()
    windows = []
    for i in range(WINDOW_ROWS):
        day = form.get(f"win-{i}-date", "").strip()
        if day:
            windows.append(
                {
                    "start": _local_iso(day, form.get(f"win-{i}-start", ""), tz),
                    "end": _local_iso(day, form.get(f"win-{i}-end", ""), tz),
                }
            )
    referrer = None
    if form.get("referrer_name") or form.get("referrer_email"):
        referrer = {
            "name": form.get("referrer_name", "").strip(),
            "email": form.get("referrer_email", "").strip(),
        }
    duration = form.get("duration_minutes", "")
    return {
        "name": form.get("name", "").strip(),
        "field": form.get("field", ""),
        "goal": form.get("goal", "").strip(),
        "format": form.get("format", ""),
        "duration_minutes": int(duration) if is_number(duration) else duration,
        "languages": form.getlist("languages"),
        "site": form.get("site", "").strip() or None,
        "timezone": tz,
        "related_ok": form.get("related_ok") == "on",
        "availability": windows,
        "referrer": referrer,
        "preferred_host": form.get("preferred_host", "").strip() or None,
    }


def _rows(form, prefix: str, least: int) -> int:
    """How many `prefix-<k>-start/end` rows the form holds, and at least `least`."""
    k = 0
    while f"{prefix}-{k}-start" in form or f"{prefix}-{k}-end" in form:
        k += 1
    return max(k, least)


def grid_sizes(form) -> dict:
    """Rows for every weekly range and time-off window the form holds, and a
    spare time-off row to add one more."""
    return {
        "ranges": max(_rows(form, day, DAY_RANGES) for day in DAYS),
        "off_rows": max(_rows(form, "off", 0) + 1, TIME_OFF_ROWS),
    }


def host_body(form) -> dict:
    weekly = []
    for day in DAYS:
        for k in range(_rows(form, day, DAY_RANGES)):
            start, end = (
                form.get(f"{day}-{k}-start", "").strip(),
                form.get(f"{day}-{k}-end", "").strip(),
            )
            if start or end:
                end = (
                    MIDNIGHT if end == "00:00" else end
                )  # the same instant, said plainly
                weekly.append({"day": day, "start": start, "end": end})
    tz = form.get("timezone", "").strip()
    off = []
    for i in range(_rows(form, "off", TIME_OFF_ROWS)):
        start, end = (
            form.get(f"off-{i}-start", "").strip(),
            form.get(f"off-{i}-end", "").strip(),
        )
        if start or end:
            off.append(
                {
                    "start": _local_iso(start, "00:00", tz),
                    "end": _local_iso(end, "23:59", tz),
                }
            )
    capacity = form.get("monthly_capacity", "")
    return {
        "name": form.get("name", "").strip(),
        "experience": form.get("experience", "").strip() or None,
        "fields": form.getlist("fields"),
        "languages": form.getlist("languages"),
        "formats": form.getlist("formats"),
        "site": form.get("site", "").strip() or None,
        "timezone": tz,
        "durations": [int(d) if is_number(d) else d for d in form.getlist("durations")],
        "monthly_capacity": int(capacity) if is_number(capacity) else capacity,
        "weekly_availability": weekly,
        "unavailable": off,
        "active": form.get("active") == "on",
        "listed": form.get("listed") == "on",
        "paused_until": form.get("paused_until", "").strip() or None,
    }


def host_form_values(row, today=None) -> dict:
    """A saved profile as the form's inputs, so saving it again changes nothing.

    An end of "24:00" shows as "00:00" (a time input cannot hold 24:00; both
    mean midnight). Time off shows as whole days in the host's zone, from the
    first day it touches to the last; windows already over are left out.
    """
    if not row:
        return {}
    values = {
        "name": row["name"],
        "experience": row.get("experience") or "",
        "site": row["site"] or "",
        "timezone": row["timezone"],
        "monthly_capacity": str(row["monthly_capacity"]),
        "active": "on" if row["active"] else "",
        "listed": "on" if row["listed"] else "",
        "paused_until": row["paused_until"].isoformat() if row["paused_until"] else "",
    }
    seen = {}
    for slot in row["weekly_availability"]:
        k = seen.get(slot["day"], 0)
        seen[slot["day"]] = k + 1
        values[f"{slot['day']}-{k}-start"], values[f"{slot['day']}-{k}-end"] = (
            slot["start"],
            "00:00" if slot["end"] == MIDNIGHT else slot["end"],
        )
    zone = ZoneInfo(row["timezone"])
    today = today or datetime.now(zone).date()
    i = 0
    for window in row["unavailable"]:
        start = datetime.fromisoformat(window["start"]).astimezone(zone)
        last = (datetime.fromisoformat(window["end"]) - LAST_MINUTE).astimezone(zone)
        if last.date() < today:
            continue
        values[f"off-{i}-start"] = start.date().isoformat()
        values[f"off-{i}-end"] = last.date().isoformat()
        i += 1
    return values
