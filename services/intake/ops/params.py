"""What the staff's endpoints read from a query string or a form: pages,
filters, time ranges, whether names and emails are asked for, a report's
key, the access trail's filters, a list of leavers' addresses. A parameter that does
not hold is named in `Invalid` (422 with the errors per parameter)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from flask import current_app, request

from services.intake.audit import ACTIONS
from services.intake.ops.programme import REPORTS
from services.intake.web import identity
from shared.config import is_number
from shared.statuses import MATCH_STATUSES, REQUEST_STATUSES

FILTERS = ("status", "field", "since", "until")


class Invalid(Exception):
    """Query parameters that do not hold (422 with the errors per parameter)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def page(errors: dict) -> int:
    return _count("page", 1, 100_000, "Not a valid integer.", errors)


def weeks(errors: dict) -> int:
    return _count(
        "weeks", 12, 104, "Must be a whole number of weeks from 1 to 104.", errors
    )


def _count(name: str, default: int, most: int, problem: str, errors: dict) -> int:
    """A whole number from 1 to `most`; `default` when not given (or wrong)."""
    raw = request.args.get(name, str(default))
    if not is_number(raw) or not 1 <= int(raw) <= most:
        errors[name] = [problem]
        return default
    return int(raw)


def _moment(name: str, errors: dict) -> datetime | None:
    """`since` / `until`: an ISO date (midnight UTC) or date and time."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = ["Not a valid date or date and time."]
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def export_filters(statuses) -> dict:
    """An export's filters: a status of `statuses`, a field of the taxonomy,
    a range of creation times."""
    errors: dict = {}
    status = request.args.get("status") or None
    field = request.args.get("field") or None
    if status and status not in statuses:
        errors["status"] = [f"Must be one of: {', '.join(statuses)}."]
    if field and field not in current_app.extensions["taxonomy"]:
        errors["field"] = ["Unknown field of the taxonomy."]
    since, until = _moment("since", errors), _moment("until", errors)
    if errors:
        raise Invalid(errors)
    return {"status": status, "field": field, "since": since, "until": until}


def personal() -> bool:
    """`?personal=1` adds names and emails (the exports are HR's)."""
    return request.args.get("personal") in ("1", "true", "yes")


def report_by(errors: dict) -> str:
    by = request.args.get("by") or "field"
    if by not in REPORTS:
        errors["by"] = [f"Must be one of: {', '.join(REPORTS)}."]
    return by


def audit_filters() -> dict:
    """The access trail's filters: a person's and an actor's address, an
    action, a range of times."""
    errors: dict = {}
    found = {}
    for name in ("person", "actor"):
        value = (request.args.get(name) or "").strip().lower() or None
        if value and not identity.valid_email(value):
            errors[name] = ["Not a valid email address."]
        found[name] = value
    action = request.args.get("action") or None
    if action and action not in ACTIONS:
        errors["action"] = [f"Must be one of: {', '.join(ACTIONS)}."]
    since, until = _moment("since", errors), _moment("until", errors)
    if errors:
        raise Invalid(errors)
    return {**found, "action": action, "since": since, "until": until}


def leavers(text: str) -> list[str]:
    """The addresses in a list HR pastes or uploads (a CSV of their system:
    any cell that is an address; a header or other columns are passed
    over), each once, in order. Cells are split on spaces, commas,
    semicolons and tabs only, and lose the quotes around them, never a
    quote inside: `o'brien@example.com` stays itself."""
    seen: dict[str, None] = {}
    for cell in re.split(r"[\s,;]+", text):
        if len(cell) >= 2 and cell[0] == cell[-1] and cell[0] in "\"'":
            cell = cell[1:-1]
        cell = cell.strip().lower()
        if "@" in cell and identity.valid_email(cell):
            seen.setdefault(cell)
    return list(seen)


def carried_filters() -> dict[str, dict]:
    """The page's filters carried to each export's link (a status only where
    the table has it)."""
    given = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    statuses = {"requests": REQUEST_STATUSES, "matches": MATCH_STATUSES}
    return {
        table: {k: v for k, v in given.items() if k != "status" or v in statuses[table]}
        for table in statuses
    }
