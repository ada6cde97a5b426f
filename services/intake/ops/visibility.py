"""What each staff role sees of people: HR all of it; ops the pipeline,
with names, addresses, goals and notes hidden (`hidden`, `redacted` for an
event's payload, `masked` for the addresses an error quotes); and the
dashboard shows every role the pipeline's view (`PIPELINE`)."""

from __future__ import annotations

import re

HIDDEN = "(hidden)"  # what a member of ops without HR sees of a person's data
# the keys of event payloads (at any depth) whose values are a person's words
PERSONAL_KEYS = ("name", "email", "goal", "note", "reason", "recipient",
                 "location", "requester", "referrer", "comment")  # fmt: skip
# an address quoted in an error's text (a mail server's answer, a constraint)
ADDRESS = re.compile(r"[^\s<>\"'(),;:\[\]=]+@[^\s<>\"'(),;:\[\]=]+")


class _Pipeline:
    """The view of the pipeline the dashboard shows every staff member:
    no one's data, whatever the viewer's roles (HR read it in the API,
    audited)."""

    roles = ()

    def has(self, role: str) -> bool:
        return False


PIPELINE = _Pipeline()


def sees_people(who) -> bool:
    return who.has("hr")


def hidden(value, who):
    return value if sees_people(who) else HIDDEN


def masked(text: str | None) -> str | None:
    """An error's text with every address in it hidden."""
    return ADDRESS.sub(HIDDEN, text) if isinstance(text, str) else text


def unless_hr(text: str | None, who) -> str | None:
    return text if sees_people(who) else masked(text)


def redacted(value):
    """A payload with the values of its personal keys hidden, and the
    addresses in its errors, at any depth."""
    if isinstance(value, dict):
        return {
            k: HIDDEN if any(p in k for p in PERSONAL_KEYS)
            else masked(v) if "error" in k else redacted(v)
            for k, v in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value
