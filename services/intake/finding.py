"""The use cases of finding: the hosts a requester may ask for (the
directory, by name and by their words), and the fields a goal sounds like.
A requester's text is read by the model (`words.Words`) before the
transaction and kept nowhere; the hosts' vectors are the matcher's."""

from __future__ import annotations

from services.intake.words import found, suggest
from shared import meaning


def host_directory(
    uow, query: str | None = None, field: str | None = None, words=None
) -> list[dict]:
    """The hosts a requester may ask for, active and listed: those whose
    name holds `query` first, by name; then, with a model, those whose own
    words (what they can talk about) fit `query`, best first
    (`words.found`)."""
    query, field = query or None, field or None
    read = words is not None and words.on and query is not None
    vector = words.read(query) if read else None
    with uow:
        named = uow.hosts.directory(query, field)
        if vector is None:
            return named
        rows = uow.hosts.read_hosts(words.model, listed=True, field=field)
        vectors = words.hosts.get(
            uow.hosts.host_vectors,
            words.model,
            {r["id"]: r["profile_at"] for r in rows},
        )
        seen = {r["id"] for r in named}
        ids = found(vector, {h: v for h, v in vectors.items() if h not in seen})
        return named + uow.hosts.directory_of(ids)


def suggest_fields(uow, words, goal: str) -> list[dict]:
    """The fields `goal` sounds like, best first, each with how well it
    fits; none without a model or for a goal too short to read."""
    if words is None or not words.on or not meaning.says_enough(goal):
        return []
    vector = words.read(goal)
    fields = words.fields()
    with uow:
        rows = uow.hosts.read_hosts(words.model)
        vectors = words.hosts.get(
            uow.hosts.host_vectors,
            words.model,
            {r["id"]: r["profile_at"] for r in rows},
        )
    words.hosts.keep_only(r["id"] for r in rows)  # a forgotten host's go
    hosts = [(r["fields"], vectors[r["id"]]) for r in rows if r["id"] in vectors]
    return [
        {"field": slug, "fit": round(fit, 3)}
        for slug, fit in suggest(vector, fields, hosts)
    ]
