"""What intake reads by meaning (`MATCH_BY_MEANING`, `shared.meaning`): the
fields a goal sounds like, and the hosts a directory search finds by their
words. No SQL here: the hosts' vectors are the ones the matcher stored
(`host_vectors`), fetched through intake's host repository; a requester's
text is read here, once, and kept nowhere.

A field sounds like a goal as much as its names do, or as the best of its
active hosts' words do (the matcher's text of a host: their fields' names
and their experience), whichever fits better: names alone are too short to
say what a field is about. Only the field is told, never which host made
it fit.
"""

from __future__ import annotations

import threading

import numpy as np

from shared import meaning

SUGGESTED = 3  # fields suggested at most
SUGGEST_MIN = 0.20  # the least fit a suggested field has
FOUND = 50  # hosts found by their words at most
TERMS = 20_000  # words whose vectors are held (ops' groups of goals)
# the least fit of a host found by words: a name fits a host's experience
# less than 0.1 (but up to 0.33 a text of field names alone, which is why
# only hosts who wrote what they can talk about are searched by words)
FOUND_MIN = 0.25


class Words:
    """The model and what this process holds of it: the fields' names read
    once (on the first suggestion), the hosts' vectors fetched once per
    version of their profile. One per process, on the app; `encoder` None
    (MATCH_BY_MEANING=off): nothing is read, nothing suggested."""

    def __init__(self, encoder: meaning.Encoder | None, taxonomy) -> None:
        self.encoder = encoder
        self.taxonomy = taxonomy
        self.hosts = meaning.VectorCache()
        self._fields: tuple | None = None
        self._terms: dict = {}  # word -> vector, `TERMS` at most
        self._lock = threading.Lock()

    @property
    def on(self) -> bool:
        return self.encoder is not None

    @property
    def model(self) -> str:
        return self.encoder.name

    def read(self, text: str) -> np.ndarray:
        return self.encoder.embed([text])[0]

    def terms(self, words: list[str]) -> np.ndarray:
        """The vectors of single words (those that tell a group of goals),
        each read once while `TERMS` are held."""
        with self._lock:
            held = {w: self._terms[w] for w in words if w in self._terms}
        new = [w for w in words if w not in held]
        if new:
            held.update(zip(new, self.encoder.embed(new), strict=True))
            with self._lock:
                if len(self._terms) + len(new) > TERMS:
                    self._terms.clear()
                self._terms.update((w, held[w]) for w in new)
        return np.stack([held[w] for w in words])

    def fields(self) -> tuple[list[str], np.ndarray]:
        """The taxonomy's slugs and the vectors of their names."""
        with self._lock:
            if self._fields is None:
                slugs = list(self.taxonomy.fields)
                texts = [
                    ", ".join(meaning.field_names(self.taxonomy, s)) for s in slugs
                ]
                self._fields = (slugs, self.encoder.embed(texts))
            return self._fields


def suggest(
    goal: np.ndarray, fields: tuple, hosts: list[tuple], n: int = SUGGESTED
) -> list[tuple[str, float]]:
    """The `n` fields that sound most like `goal`, best first, with their
    fit: each field's names, or its best host's words (`hosts`: (fields,
    vector) of each active host), whichever fits better."""
    slugs, names = fields
    fit = dict(zip(slugs, (names @ goal).tolist(), strict=True))
    if hosts:
        by_host = np.stack([v for _, v in hosts]) @ goal
        for (host_fields, _), f in zip(hosts, by_host.tolist(), strict=True):
            for slug in host_fields:
                if slug in fit and f > fit[slug]:
                    fit[slug] = f
    best = sorted(fit.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(s, f) for s, f in best[:n] if f >= SUGGEST_MIN]


def found(query: np.ndarray, vectors: dict, n: int = FOUND) -> list:
    """The ids of `vectors` ({id: vector}) that fit `query` at least
    `FOUND_MIN`, best first, `n` at most."""
    if not vectors:
        return []
    ids = list(vectors)
    fits = np.stack([vectors[i] for i in ids]) @ query
    order = np.argsort(-fits, kind="stable")[:n]
    return [ids[k] for k in order.tolist() if fits[k] >= FOUND_MIN]
