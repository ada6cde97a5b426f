"""Taking a forgotten person out of stored messages (pure: bytes in, bytes out).

Two cases. A message *about* the person (written under their request's or
host profile's id) loses its payload: the envelope stays, so the ops
timeline still shows that something happened, and consumers pass a
redacted event over. A message about someone else that merely *mentions*
the person (as the referrer of another request, as the recipient of a mail
in a NotificationSent) keeps its payload, with each mention replaced, so
that it still validates and its consumers still act on it.
"""

from __future__ import annotations

import json

from shared.events import REDACTED

FORGOTTEN_EMAIL = "forgotten@invalid"
FORGOTTEN_NAME = "(forgotten)"
REDACTED_BYTES = json.dumps(REDACTED).encode()
SECRET_HEADERS = ("dlq_error",)  # an error's text may quote the message


def needles(email: str, *names: str) -> list[str]:
    """What identifies the person: their address and their names (short or
    empty ones left out: they would match everything)."""
    return [email.lower(), *sorted({n for n in names if n and len(n.strip()) >= 3})]


def emptied(raw: bytes) -> bytes:
    """A message about the person: the envelope without its payload."""
    try:
        body = json.loads(raw)
    except ValueError:
        return REDACTED_BYTES
    if isinstance(body, dict) and "payload" in body:
        body["payload"] = REDACTED
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return REDACTED_BYTES


def scrubbed_text(text: str, found: list[str]) -> str:
    for needle in found:
        placeholder = FORGOTTEN_EMAIL if "@" in needle else FORGOTTEN_NAME
        start = text.lower().find(needle.lower())
        while start >= 0:
            text = text[:start] + placeholder + text[start + len(needle) :]
            start = text.lower().find(needle.lower(), start + len(placeholder))
    return text


def _walk(value, found: list[str]):
    if isinstance(value, str):
        return scrubbed_text(value, found)
    if isinstance(value, list):
        return [_walk(v, found) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, found) for k, v in value.items()}
    return value


def scrubbed(raw: bytes, found: list[str]) -> bytes:
    """A message that mentions the person: each mention replaced, the rest kept."""
    try:
        body = json.loads(raw)
    except ValueError:
        return scrubbed_text(raw.decode("utf-8", "replace"), found).encode()
    return json.dumps(
        _walk(body, found), ensure_ascii=False, separators=(",", ":")
    ).encode()


def scrubbed_json(value, found: list[str]):
    return _walk(value, found)


def safe_headers(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k not in SECRET_HEADERS}
