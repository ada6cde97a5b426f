"""The event envelope and one marshmallow schema per event of the contract.

Every Kafka value is a UTF-8 JSON envelope::

    {"event_id": "uuid", "event_type": "IntroRequested", "schema_version": 1,
     "occurred_at": "2026-11-26T09:00:00+00:00", "correlation_id": "uuid",
     "producer": "intake", "payload": {...}}

with the headers `event_type`, `event_id` and `correlation_id`. Payloads are
validated when produced (`build`, unknown keys refused) and when consumed
(`parse`, unknown keys ignored so that producers may add fields).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, validate
from marshmallow import fields as mf

from shared.payloads import Person, WeeklySlot, Window

SCHEMA_VERSION = 1


class IntroRequested(Schema):
    request_id = mf.UUID(required=True)
    requester = mf.Nested(Person, required=True)
    field = mf.String(required=True)
    goal = mf.String(required=True)
    format = mf.String(required=True)
    duration_minutes = mf.Integer(required=True)
    languages = mf.List(mf.String(), required=True)
    site = mf.String(allow_none=True, load_default=None)
    timezone = mf.String(required=True)
    related_ok = mf.Boolean(required=True)
    availability = mf.List(mf.Nested(Window), required=True)
    referrer = mf.Nested(Person, allow_none=True, load_default=None)
    preferred_host = mf.UUID(allow_none=True, load_default=None)
    locale = mf.String(load_default="fr")


class IntroCancelled(Schema):
    request_id = mf.UUID(required=True)
    reason = mf.String(allow_none=True, load_default=None)
    cancelled_by = mf.String(required=True)
    # the live match the cancellation ended, if any
    match_id = mf.UUID(allow_none=True, load_default=None)
    host_id = mf.UUID(allow_none=True, load_default=None)
    match_status = mf.String(allow_none=True, load_default=None)


class RequesterForgotten(Schema):
    request_id = mf.UUID(required=True)


class HostProfileChanged(Schema):
    host_id = mf.UUID(required=True)
    email = mf.Email(required=True)
    name = mf.String(required=True)
    fields = mf.List(mf.String(), required=True)
    languages = mf.List(mf.String(), required=True)
    formats = mf.List(mf.String(), required=True)
    site = mf.String(allow_none=True, load_default=None)
    timezone = mf.String(required=True)
    durations = mf.List(mf.Integer(), required=True)
    monthly_capacity = mf.Integer(required=True)
    weekly_availability = mf.List(mf.Nested(WeeklySlot), required=True)
    unavailable = mf.List(mf.Nested(Window), required=True)
    active = mf.Boolean(required=True)
    listed = mf.Boolean(load_default=False)  # in the directory requesters pick from
    paused_until = mf.Date(
        allow_none=True, load_default=None
    )  # no invitation until then
    locale = mf.String(load_default="fr")


class HostForgotten(Schema):
    host_id = mf.UUID(required=True)


class HostBusyChanged(Schema):
    """The busy times read from the host's own calendar changed (or the
    calendar was connected or disconnected): the matcher reads them from
    `host_calendars` and withdraws unanswered invitations they now overlap."""

    host_id = mf.UUID(required=True)


class HostCalendarStale(Schema):
    """The host's calendar has not been read for CALENDAR_STALE_AFTER."""

    host_id = mf.UUID(required=True)
    failing_since = mf.AwareDateTime(required=True)
    reason = mf.String(required=True)  # a code of shared/calendars.py


class ReferrerForgotten(Schema):
    """The person who recommended this request asked to be forgotten."""

    request_id = mf.UUID(required=True)


class MatchAccepted(Schema):
    match_id = mf.UUID(required=True)
    request_id = mf.UUID(required=True)
    host_id = mf.UUID(required=True)
    location = mf.String(allow_none=True, load_default=None)
    note = mf.String(allow_none=True, load_default=None)


class MatchDeclined(Schema):
    match_id = mf.UUID(required=True)
    request_id = mf.UUID(required=True)
    host_id = mf.UUID(required=True)
    reason = mf.String(allow_none=True, load_default=None)
    # an accepted meeting the host can no longer hold (they left): the
    # requester is told, and matched again
    was_confirmed = mf.Boolean(load_default=False)


class MatchProposed(Schema):
    match_id = mf.UUID(required=True)
    request_id = mf.UUID(required=True)
    host_id = mf.UUID(required=True)
    start = mf.AwareDateTime(required=True)
    end = mf.AwareDateTime(required=True)
    format = mf.String(required=True)
    exact_field = mf.Boolean(required=True)
    expires_at = mf.AwareDateTime(required=True)
    score = mf.Dict(keys=mf.String(), load_default=dict)


class MatchExpired(Schema):
    match_id = mf.UUID(required=True)
    request_id = mf.UUID(required=True)
    host_id = mf.UUID(required=True)
    # withdrawn because the host's own calendar became busy at its time
    calendar_conflict = mf.Boolean(load_default=False)


class RequestWaitlisted(Schema):
    request_id = mf.UUID(required=True)
    reason = mf.String(required=True)


class RequestUnmatched(Schema):
    request_id = mf.UUID(required=True)
    reason = mf.String(required=True)


class RequestCompleted(Schema):
    request_id = mf.UUID(required=True)
    match_id = mf.UUID(required=True)
    host_id = mf.UUID(required=True)


class NotificationSent(Schema):
    notification_id = mf.UUID(required=True)
    request_id = mf.UUID(allow_none=True, load_default=None)
    kind = mf.String(required=True)
    recipient = mf.Email(required=True)
    message_id = mf.String(required=True)


class NotificationFailed(Schema):
    notification_id = mf.UUID(required=True)
    request_id = mf.UUID(allow_none=True, load_default=None)
    kind = mf.String(required=True)
    recipient = mf.Email(required=True)
    error = mf.String(required=True)


class MailRetryRequested(Schema):
    """Ops asks the notifier to send failed mail again: one message, or every
    failed one (of one kind, failed in a time range, if given)."""

    notification_id = mf.UUID(allow_none=True, load_default=None)
    kind = mf.String(
        allow_none=True, load_default=None, validate=validate.Length(1, 64)
    )
    since = mf.AwareDateTime(allow_none=True, load_default=None)
    until = mf.AwareDateTime(allow_none=True, load_default=None)


PAYLOADS: dict[str, type[Schema]] = {
    cls.__name__: cls
    for cls in (
        IntroRequested,
        IntroCancelled,
        RequesterForgotten,
        HostProfileChanged,
        HostForgotten,
        HostBusyChanged,
        HostCalendarStale,
        ReferrerForgotten,
        MatchAccepted,
        MatchDeclined,
        MatchProposed,
        MatchExpired,
        RequestWaitlisted,
        RequestUnmatched,
        RequestCompleted,
        NotificationSent,
        NotificationFailed,
        MailRetryRequested,
    )
}


def schema_of(event_type: str) -> Schema:
    """One shared instance per payload schema: instantiating is costly, using is thread-safe."""
    return _INSTANCES[event_type]


class Envelope(Schema):
    """What wraps every payload (the contract; `parse` checks it as written
    here, by hand: through marshmallow it cost about a fifth of parsing an
    event)."""

    class Meta:
        unknown = EXCLUDE

    event_id = mf.UUID(required=True)
    event_type = mf.String(required=True, validate=validate.OneOf(sorted(PAYLOADS)))
    schema_version = mf.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = mf.AwareDateTime(required=True)
    correlation_id = mf.UUID(required=True)
    producer = mf.String(required=True)
    payload = mf.Dict(required=True)


_INSTANCES = {name: cls() for name, cls in PAYLOADS.items()}


@dataclass(frozen=True)
class Event:
    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    correlation_id: uuid.UUID
    producer: str
    payload: dict
    schema_version: int = SCHEMA_VERSION

    def to_bytes(self) -> bytes:
        body = {
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "occurred_at": self.occurred_at.isoformat(),
            "correlation_id": str(self.correlation_id),
            "producer": self.producer,
            "payload": schema_of(self.event_type).dump(self.payload),
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )

    @property
    def redacted(self) -> bool:
        return self.payload == REDACTED

    def headers(self) -> dict[str, str]:
        return {
            "event_type": self.event_type,
            "event_id": str(self.event_id),
            "correlation_id": str(self.correlation_id),
        }


def iso(value: datetime | None) -> str | None:
    """A time as the contract writes it (ISO-8601 with its offset), or None."""
    return value.isoformat() if value is not None else None


def json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# The payload of an event whose person asked to be forgotten (shared.outbox
# rewrites their rows to this, published or not); consumers pass it over.
REDACTED = {"redacted": True}


class InvalidEvent(Exception):
    """A message that is not a valid envelope or payload: it goes to the DLQ."""


def build(
    event_type: str, payload: dict, *, producer: str, correlation_id=None
) -> Event:
    """Validate `payload` (as JSON-ready data or Python values) and wrap it."""
    schema = schema_of(event_type)
    try:
        loaded = schema.load(
            json.loads(json.dumps(payload, default=json_default)), unknown=RAISE
        )
    except ValidationError as exc:
        raise ValueError(f"invalid {event_type} payload: {exc.messages}") from exc
    return Event(
        event_id=uuid.uuid4(),
        event_type=event_type,
        occurred_at=datetime.now(UTC),
        correlation_id=uuid.UUID(str(correlation_id))
        if correlation_id
        else uuid.uuid4(),
        producer=producer,
        payload=loaded,
    )


def _envelope(body: dict) -> dict:
    """The `Envelope` schema's checks, written out; a ValidationError
    naming each field that fails them."""
    errors, env = {}, {}
    for name in ("event_id", "correlation_id"):
        try:
            env[name] = uuid.UUID(body[name])
        except KeyError:
            errors[name] = ["Missing data for required field."]
        except (TypeError, ValueError, AttributeError):
            errors[name] = ["Not a valid UUID."]
    event_type = body.get("event_type")
    if event_type not in PAYLOADS:
        errors["event_type"] = [f"Must be one of: {', '.join(sorted(PAYLOADS))}."]
    version = body.get("schema_version")
    if type(version) is not int or version < 1:
        errors["schema_version"] = ["Must be an integer, 1 or more."]
    try:
        occurred_at = datetime.fromisoformat(body["occurred_at"])
        if occurred_at.tzinfo is None:
            errors["occurred_at"] = ["Not a valid aware datetime."]
        env["occurred_at"] = occurred_at
    except KeyError:
        errors["occurred_at"] = ["Missing data for required field."]
    except (TypeError, ValueError):
        errors["occurred_at"] = ["Not a valid datetime."]
    if not isinstance(body.get("producer"), str):
        errors["producer"] = ["Not a valid string."]
    if not isinstance(body.get("payload"), dict):
        errors["payload"] = ["Not a valid mapping type."]
    if errors:
        raise ValidationError(errors)
    return {**env, "event_type": event_type, "schema_version": version,
            "producer": body["producer"], "payload": body["payload"]}  # fmt: skip


def parse(raw: bytes | None) -> Event:
    """Decode and validate a Kafka value; raise InvalidEvent saying why."""
    if raw is None:
        raise InvalidEvent("empty message")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidEvent(f"not UTF-8 JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidEvent("envelope is not a JSON object")
    try:
        env = _envelope(body)
        if env["payload"] == REDACTED:
            payload = dict(REDACTED)  # a forgotten person's event: nothing to act on
        else:
            payload = schema_of(env["event_type"]).load(env["payload"], unknown=EXCLUDE)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid envelope or payload: {exc.messages}") from exc
    return Event(
        event_id=env["event_id"],
        event_type=env["event_type"],
        occurred_at=env["occurred_at"],
        correlation_id=env["correlation_id"],
        producer=env["producer"],
        payload=payload,
        schema_version=env["schema_version"],
    )
