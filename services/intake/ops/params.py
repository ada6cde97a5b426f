"""What the ops endpoints read from a query string: pages, filters, time
ranges, and whether names and emails are asked for. A parameter that does
not hold is named in `Invalid` (422 with the errors per parameter)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import current_app, request

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


def personal(settings) -> bool:
    """`?personal=1` adds names and emails: only for members of the group
    OPS_PERSONAL_DATA_GROUP (403 for the other members of `ops`)."""
    if request.args.get("personal") not in ("1", "true", "yes"):
        return False
    if settings.ops_personal_data_group not in identity.require().groups:
        raise identity.Forbidden()
    return True


def carried_filters() -> dict[str, dict]:
    """The page's filters carried to each export's link (a status only where
    the table has it)."""
    given = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    statuses = {"requests": REQUEST_STATUSES, "matches": MATCH_STATUSES}
    return {
        table: {k: v for k, v in given.items() if k != "status" or v in statuses[table]}
        for table in statuses
    }
