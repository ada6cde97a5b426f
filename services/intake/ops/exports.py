"""The CSV exports of `requests` and `matches`: their columns, each cell
as a spreadsheet should read it (text that would be a formula is quoted),
and the file's text."""

from __future__ import annotations

import csv
import io
import re

REQUEST_COLUMNS = (
    "id",
    "field",
    "status",
    "status_reason",
    "format",
    "attempts",
    "created_at",
    "proposed_at",
    "confirmed_at",
)
MATCH_COLUMNS = (
    "id",
    "request_id",
    "field",
    "status",
    "decline_reason",
    "host_id",
    "exact_field",
    "format",
    "starts_at",
    "ends_at",
    "created_at",
    "responded_at",
    "attempts",
)
# A spreadsheet reads a cell starting with one of these as a formula; and it
# may split a line on any of SEPARATORS (a French Excel splits on ";"), so
# every piece a split could make is guarded, not the cell's start alone.
FORMULA = r"[=+\-@\t\r]"
SEPARATORS = r"[,;|\t\n\r]"
_UNSAFE = re.compile(rf'(^|{SEPARATORS})([\s"]*)(?={FORMULA})')
PERSONAL_COLUMNS = {
    "requests": ("requester_name", "requester_email"),
    "matches": ("requester_name", "requester_email", "host_name", "host_email"),
}


def table(name: str, rows: list[dict], personal: bool) -> tuple[tuple, list]:
    """The header and the cells of the export of table `name` (`requests` or
    `matches`); names and emails only when `personal`."""
    columns = REQUEST_COLUMNS if name == "requests" else MATCH_COLUMNS
    if personal:
        columns += PERSONAL_COLUMNS[name]
    return columns, [[cell(r[c]) for c in columns] for r in rows]


def cell(value):
    """One CSV cell; text a spreadsheet would read as a formula, at its
    start or after any separator it may split on, is quoted there."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return _UNSAFE.sub(lambda m: f"{m[1]}{m[2]}'", value)
    return value


def csv_text(columns: tuple, rows: list) -> str:
    """Every cell quoted: one cell stays one cell whatever the separator."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()
