"""Forgetting a person: what stands in for them in every service's rows, and
how their data is found in stored messages without ever searching text.

A stored message (an outbox row, a dead letter) is touched in two cases only:

- it is *about* the person: written under the id of their request or host
  profile. Its payload is emptied (the envelope stays, so the ops timeline
  still shows that something happened; consumers pass an emptied event over);
- it *mentions* the person in a field its payload schema gives to a person
  (`MENTIONS`: the requester or referrer of a request, a host's profile, a
  mail's recipient). That field, and only it, is replaced; the message stays
  valid and its consumers still act on it.

Every stored message carries the digests of the addresses it mentions
(`subjects`, an indexed column), so a person's mentions are found by their
address, exactly, never by a name that other words may contain. An address
is replaced by one unique per row and undeliverable (the `.invalid`
top-level domain is reserved, RFC 2606).
"""

from __future__ import annotations

import hashlib
import json

from shared.events import REDACTED

DOMAIN = "forgotten.invalid"  # a valid address (events validate it), delivered nowhere
FORGOTTEN_NAME = "(forgotten)"
REDACTED_BYTES = json.dumps(REDACTED).encode()
SECRET_HEADERS = ("dlq_error",)  # an error's text may quote the message

# Where each event names a person, by the field holding their address:
# a person object ({"name", "email"}), or the payload itself ("") whose
# `email` (with `name`) or `recipient` (with `error`) is theirs.
MENTIONS: dict[str, tuple[str, ...]] = {
    "IntroRequested": ("requester", "referrer"),
    "HostProfileChanged": ("",),
    "NotificationSent": ("",),
    "NotificationFailed": ("",),
}
_ADDRESS_FIELDS = ("email", "recipient")
_WITH_ADDRESS = {"email": ("name",), "recipient": ("error",)}


def forgotten_email(row_id) -> str:
    """What replaces a forgotten person's address in the row `row_id`."""
    return f"forgotten+{row_id}@{DOMAIN}"


def forgotten_email_sql(id_column: str) -> str:
    """`forgotten_email` as a SQL expression over the column `id_column`."""
    return f"'forgotten+' || {id_column} || '@{DOMAIN}'"


def is_forgotten(email: str) -> bool:
    """Ours, or the bare `@invalid` of rows forgotten before."""
    return email.endswith((f"@{DOMAIN}", "@invalid"))


def digest(email: str) -> str:
    """How a stored message names an address it mentions (`subjects`)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _places(event_type: str, payload: dict):
    """(the object holding a person, the key of their address) per mention."""
    for where in MENTIONS.get(event_type, ()):
        holder = payload if where == "" else payload.get(where)
        if not isinstance(holder, dict):
            continue
        for key in _ADDRESS_FIELDS:
            if isinstance(holder.get(key), str):
                yield where, holder, key
                break


def addresses(event_type: str, payload: dict) -> list[str]:
    """The addresses of the people `payload` names, lower-case."""
    return sorted({h[k].strip().lower() for _, h, k in _places(event_type, payload)})


def subjects(event_type: str, payload: dict) -> list[str]:
    return sorted(digest(a) for a in addresses(event_type, payload))


def forgotten_in(event_type: str, payload: dict, email: str, row_id) -> dict:
    """`payload` with the person at `email` taken out where it names them:
    a referrer becomes none; anyone else keeps their place with a forgotten
    name and address (and a mail's error, which may quote the address, is
    emptied)."""
    email = email.strip().lower()
    out = json.loads(json.dumps(payload))
    for where, holder, key in list(_places(event_type, out)):
        if holder[key].strip().lower() != email:
            continue
        if where == "referrer":
            out["referrer"] = None
            continue
        holder[key] = forgotten_email(row_id)
        for other in _WITH_ADDRESS[key]:
            if other in holder:
                holder[other] = FORGOTTEN_NAME if other == "name" else "redacted"
    return out


def _body(raw: bytes) -> dict | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("payload"), dict):
        return body
    return None


def raw_subjects(raw: bytes) -> list[str]:
    """The digests of the people a message's bytes name, if it is an
    envelope that says so (a message that does not parse names nobody we
    can find: its retention bounds it)."""
    body = _body(raw)
    if body is None:
        return []
    return subjects(str(body.get("event_type")), body["payload"])


def _dumps(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def emptied(raw: bytes) -> bytes:
    """A message about the person: the envelope without its payload."""
    body = _body(raw)
    if body is None:
        return REDACTED_BYTES
    body["payload"] = REDACTED
    return _dumps(body)


def without_mention(raw: bytes, email: str, row_id) -> bytes:
    """A message that mentions the person: their fields replaced, the rest kept."""
    body = _body(raw)
    if body is None:
        return raw
    body["payload"] = forgotten_in(
        str(body.get("event_type")), body["payload"], email, row_id
    )
    return _dumps(body)


def safe_headers(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k not in SECRET_HEADERS}
