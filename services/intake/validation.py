"""What intake accepts: a body loaded through its schema (`bodies.py`),
then the checks that need the taxonomy or the clock.

`load_request(body, ...)` and `load_host(body, ...)` return clean data or
raise `Invalid` with `{"field": ["message", ...]}`. The messages are in the
language asked for: `Schemas` (`translated_schemas.py`) holds one instance
of each schema per language, marshmallow's messages translated in it
(marshmallow fills in the numbers); our own messages stay English message
ids, translated at the edge (`language.translated`). Without `schemas`,
everything is in English.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marshmallow import Schema, ValidationError

from services.intake.bodies import AcceptIn, DeclineIn, HostIn, RequestIn
from services.intake.errors import Invalid, NotFound
from services.intake.translated_schemas import Schemas
from shared.i18n import N_, SOURCE

TOO_FAR = N_("Too far ahead (at most {n} days).")
ENDS_TOO_FAR = N_("Must end at most {n} days ahead.")
STARTS_TOO_EARLY = N_("Must start at most {n} days ago.")
# A host's time off: from a year back to two years ahead (what a calendar
# holds; the matcher searches a year ahead at most).
TIME_OFF_PAST_DAYS = 366
TIME_OFF_AHEAD_DAYS = 731


def flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """{"availability": {0: {"_schema": [m]}}} -> {"availability.0": [m]}: the
    contract's `{"<field>": ["message", ...]}`, with a dotted path for nested fields."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = (
                prefix
                if key == "_schema" and prefix
                else (f"{prefix}.{key}" if prefix else str(key))
            )
            for k, v in flatten(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        out[prefix or "_schema"] = list(errors)
    elif isinstance(errors, list):
        for item in errors:
            for k, v in flatten(item, prefix).items():
                out.setdefault(k, []).extend(v)
    else:
        out[prefix or "_schema"] = [str(errors)]
    return out


def _message(schemas: Schemas | None, lang: str, msgid: str, n: int) -> str:
    """One of our messages with a number filled in: translated here, since the
    edge cannot recognise it once filled in."""
    return (schemas.gettext(lang, msgid) if schemas else msgid).format(n=n)


def _load(schema_cls: type[Schema], body, schemas: Schemas | None, lang: str) -> dict:
    schema = schemas.get(schema_cls, lang) if schemas else schema_cls()
    if not isinstance(body, dict):
        raise Invalid({"_schema": [N_("Invalid input type.")]})
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise Invalid(exc.messages) from None


def _site(data: dict, sites, errors: dict) -> None:
    """With the company's sites configured, a site must be one of them."""
    if sites and data.get("site") is not None and data["site"] not in sites:
        errors["site"] = [N_("Not one of the company's sites.")]


def load_request(
    body,
    taxonomy,
    *,
    now: datetime | None = None,
    horizon_days: int = 60,
    sites=(),
    schemas: Schemas | None = None,
    lang: str = SOURCE,
) -> dict:
    data = _load(RequestIn, body, schemas, lang)
    now = now or datetime.now(UTC)
    errors: dict = {}
    _site(data, sites, errors)
    if data["field"] not in taxonomy:
        errors["field"] = [N_("Unknown field of the taxonomy.")]
    limit = now + timedelta(days=horizon_days)
    window_errors = {}
    for i, w in enumerate(data["availability"]):
        problems = []
        if w["end"] - w["start"] < timedelta(minutes=data["duration_minutes"]):
            problems.append(N_("Shorter than the requested duration."))
        if w["end"] <= now:
            problems.append(N_("Must be in the future."))
        if w["start"] > limit:
            problems.append(_message(schemas, lang, TOO_FAR, horizon_days))
        elif w["end"] > limit:
            problems.append(_message(schemas, lang, ENDS_TOO_FAR, horizon_days))
        if problems:
            window_errors[i] = {"_schema": problems}
    if window_errors:
        errors["availability"] = window_errors
    if errors:
        raise Invalid(errors)
    return data


def load_host(
    body,
    taxonomy,
    *,
    now: datetime | None = None,
    sites=(),
    schemas: Schemas | None = None,
    lang: str = SOURCE,
) -> dict:
    data = _load(HostIn, body, schemas, lang)
    now = now or datetime.now(UTC)
    errors: dict = {}
    _site(data, sites, errors)
    unknown = {
        str(i): [N_("Unknown field of the taxonomy.")]
        for i, f in enumerate(data["fields"])
        if f not in taxonomy
    }
    if unknown:
        errors["fields"] = unknown
    earliest = now - timedelta(days=TIME_OFF_PAST_DAYS)
    latest = now + timedelta(days=TIME_OFF_AHEAD_DAYS)
    time_off = {}
    for i, w in enumerate(data["unavailable"]):
        problems = []
        if w["start"] < earliest:
            problems.append(
                _message(schemas, lang, STARTS_TOO_EARLY, TIME_OFF_PAST_DAYS)
            )
        if w["end"] > latest:
            problems.append(_message(schemas, lang, ENDS_TOO_FAR, TIME_OFF_AHEAD_DAYS))
        if problems:
            time_off[i] = {"_schema": problems}
    if time_off:
        errors["unavailable"] = time_off
    if errors:
        raise Invalid(errors)
    return data


def load_simple(
    schema_cls, body, *, schemas: Schemas | None = None, lang: str = SOURCE
) -> dict:
    return _load(schema_cls, body if body is not None else {}, schemas, lang)


ANSWERS = {"accept": AcceptIn, "decline": DeclineIn}


def load_answer(
    answer: str, body, *, schemas: Schemas | None = None, lang: str = SOURCE
) -> dict:
    """The details of a host's answer ("accept" or "decline") from a JSON body."""
    schema = ANSWERS.get(answer)
    if schema is None:
        raise NotFound()
    return load_simple(schema, body, schemas=schemas, lang=lang)


def answer_from_form(
    answer: str, form, *, schemas: Schemas | None = None, lang: str = SOURCE
) -> dict:
    """The same from a form, where an empty field means none."""
    names = ANSWERS[answer]._declared_fields if answer in ANSWERS else ()
    body = {k: form.get(k) or None for k in names}
    return load_answer(answer, body, schemas=schemas, lang=lang)
