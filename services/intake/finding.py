"""The use cases of finding: the hosts a requester may ask for (the
directory, by name and by their words), and the fields a goal sounds like.
A requester's text is read by the model (`words.Words`) before the
transaction and kept nowhere; the hosts' vectors are the matcher's."""

from __future__ import annotations

from services.intake.words import FOUND, SEARCHED, found, suggest
from shared import meaning


def host_directory(
    uow, query: str | None = None, field: str | None = None, words=None
) -> list[dict]:
    """The hosts a requester may ask for, active and listed: those whose
    name holds `query` first, by name; then, with a model, up to `FOUND`
    whose own words (what they can talk about) fit `query`, best first."""
    query, field = query or None, field or None
    read = words is not None and words.on and query is not None
    vector = words.read(query) if read else None
    with uow:
        named = uow.hosts.directory(query, field)
        if vector is None:
            return named
        hosts = _hosts(uow, words)
        seen = {r["id"] for r in named}
        ids = [h for h in found(vector, hosts, SEARCHED, field) if h not in seen]
        return named + uow.hosts.directory_of(ids, field)[:FOUND]


def suggest_fields(uow, words, goal: str) -> list[dict]:
    """The fields `goal` sounds like, best first, each with how well it
    fits; none without a model or for a goal too short to read."""
    if words is None or not words.on or not meaning.says_enough(goal):
        return []
    vector = words.read(goal)
    fields = words.fields()
    with uow:
        hosts = _hosts(uow, words)
    return [
        {"field": slug, "fit": round(fit, 3)}
        for slug, fit in suggest(vector, fields, hosts)
    ]


def _hosts(uow, words):
    return words.hosts(
        lambda: uow.hosts.read_hosts(words.model), uow.hosts.host_vectors
    )
