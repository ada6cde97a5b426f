"""The use cases of finding: the hosts a requester may ask for (the
directory, by name and by their words), and the fields a goal sounds like.
A requester's text is read by the model (`words.Words`) before the
transaction and kept nowhere; the hosts' vectors are the matcher's. When
the model stays busy with others' texts (`meaning.Busy`), the directory
answers by name alone and nothing is suggested: finding never waits long."""

from __future__ import annotations

from services.intake.words import FOUND, SEARCHED, SUGGEST_CHARS, found, suggest
from shared import meaning


def host_directory(
    uow, query: str | None = None, field: str | None = None, words=None
) -> list[dict]:
    """The hosts a requester may ask for, active and listed: those whose
    name holds `query` first, by name; then, with a model, up to `FOUND`
    who wrote what they can talk about and whose words fit `query`, best
    first."""
    query, field = query or None, field or None
    vector = None
    if words is not None and words.on and query is not None:
        vector = _read(words, query)
    with uow:
        named = uow.hosts.directory(query, field)
        if vector is None:
            return named
        hosts = _hosts(uow, words)
        seen = {r["id"] for r in named}
        ids = [h for h in found(vector, hosts, SEARCHED, field) if h not in seen]
        return named + uow.hosts.directory_of(ids, field)[:FOUND]


def suggest_fields(uow, words, goal: str) -> list[str]:
    """The fields `goal` sounds like, best first (how well each fits is
    not told); none without a model, for a goal too short to read, or
    while the model is busy."""
    if words is None or not words.on or not meaning.says_enough(goal):
        return []
    vector = _read(words, goal[:SUGGEST_CHARS])
    if vector is None:
        return []
    fields = words.fields()
    with uow:
        hosts = _hosts(uow, words)
    return [slug for slug, _ in suggest(vector, fields, hosts)]


def _read(words, text: str):
    try:
        return words.read(text)
    except meaning.Busy:
        return None


def _hosts(uow, words):
    return words.hosts(
        lambda: uow.hosts.read_hosts(words.model), uow.hosts.host_vectors
    )
