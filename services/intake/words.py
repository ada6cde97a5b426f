"""What intake reads by meaning (`MATCH_BY_MEANING`, `shared.meaning`): the
fields a goal sounds like, and the hosts a directory search finds by their
words. No SQL here: the hosts' vectors are the ones the matcher stored
(`host_vectors`), fetched through intake's host repository; a requester's
text is read here, once, and kept nowhere.

Only the words of hosts who agreed to be found by them are read here:
active, listed, who wrote what they can talk about (`Hosts`). A field
sounds like a goal as much as its names do, or as the words of its hosts
together do (the centre of their vectors, when `FIELD_HOSTS` or more have
written: one person's words are never the measure), whichever fits
better: names alone are too short to say what a field is about. Only the
fields are told, in order, never how well they fit: a number would let a
stranger test guesses of what one host wrote.

The hosts' vectors are held as one matrix (`Hosts`), read again at most
every `HOSTS_FOR`: one product per text then scores every host (10,000
hosts: about 1 ms), where fetching them per call cost a query of every
host. What the directory answers is still checked in the store, per call
(listed, active, of the field asked).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from shared import meaning

SUGGESTED = 3  # fields suggested at most
SUGGEST_MIN = 0.20  # the least fit a suggested field has
SUGGEST_CHARS = 500  # of a goal, read for suggestions (bounds its cost)
FIELD_HOSTS = 3  # the fewest hosts whose words, together, speak for a field
WAIT = 1.0  # seconds a person's text waits for the model, else not read now
FOUND = 50  # hosts found by their words at most
SEARCHED = 1_000  # the best-fitting hosts checked in the store, per search
# the least fit of a host found by words: a name fits a host's experience
# less than 0.1 (but up to 0.33 a text of field names alone, which is why
# only hosts who wrote what they can talk about are searched by words)
FOUND_MIN = 0.25
TERMS = 20_000  # words whose vectors are held (ops' groups of goals)
HOSTS_FOR = 30.0  # seconds the hosts' vectors are used before being read again


@dataclass(frozen=True)
class Hosts:
    """The vectors of the words of hosts who may be found by them, one row
    per host (`ids`); the rows of each field's hosts; and the centre of
    each field's vectors, of fields with `FIELD_HOSTS` hosts or more."""

    ids: list = field(default_factory=list)
    matrix: np.ndarray = field(
        default_factory=lambda: np.zeros((0, meaning.DIMENSIONS), np.float32)
    )
    by_field: dict = field(default_factory=dict)  # slug -> row indices
    centres: dict = field(default_factory=dict)  # slug -> unit vector

    @classmethod
    def of(cls, rows: list[dict], vectors: dict) -> Hosts:
        """`rows` (id, fields) whose vector is in `vectors`."""
        kept = [r for r in rows if r["id"] in vectors]
        if not kept:
            return cls()
        by_field: dict = {}
        for k, r in enumerate(kept):
            for slug in r["fields"]:
                by_field.setdefault(slug, []).append(k)
        matrix = np.stack([vectors[r["id"]] for r in kept])
        centres = {
            s: meaning.unit(matrix[k].mean(axis=0, keepdims=True))[0]
            for s, k in by_field.items()
            if len(k) >= FIELD_HOSTS
        }
        return cls(
            [r["id"] for r in kept],
            matrix,
            {s: np.asarray(k) for s, k in by_field.items()},
            centres,
        )


class Words:
    """The model and what this process holds of it: the fields' names read
    once (on the first suggestion), the hosts' vectors (`hosts`), single
    words (`terms`). One per process, on the app; `encoder` None
    (MATCH_BY_MEANING=off): nothing is read, nothing suggested."""

    def __init__(self, encoder: meaning.Encoder | None, taxonomy, clock=time.monotonic):
        self.encoder = encoder
        self.taxonomy = taxonomy
        self.clock = clock
        self._vectors = meaning.VectorCache()
        self._hosts: tuple[float, Hosts] | None = None
        self._fields: tuple | None = None
        self._terms: dict = {}  # word -> vector, `TERMS` at most
        self._lock = threading.Lock()
        self._reading = threading.Lock()

    @property
    def on(self) -> bool:
        return self.encoder is not None

    @property
    def model(self) -> str:
        return self.encoder.name

    def read(self, text: str) -> np.ndarray:
        """The vector of one person's text; `meaning.Busy` when the model
        has been reading others' for `WAIT` (a flood of texts from one
        person slows the others for a second at most)."""
        return self.encoder.embed([text], wait=WAIT)[0]

    def drop_hosts(self) -> None:
        """Read the hosts' vectors again at the next call, not up to
        `HOSTS_FOR` later."""
        self._hosts = None

    def hosts(self, read_rows, fetch) -> Hosts:
        """The active hosts' vectors, read again (`read_rows()`: id, fields,
        profile version; `fetch`: the vectors of changed profiles) when
        older than `HOSTS_FOR`; a forgotten host's leave with it."""
        held = self._hosts
        if held is not None and self.clock() - held[0] < HOSTS_FOR:
            return held[1]
        with self._reading:  # one reader at a time; the others wait for it
            held = self._hosts
            if held is not None and self.clock() - held[0] < HOSTS_FOR:
                return held[1]
            rows = read_rows()
            versions = {r["id"]: r["profile_at"] for r in rows}
            vectors = self._vectors.get(fetch, self.model, versions)
            self._vectors.keep_only(versions)
            hosts = Hosts.of(rows, vectors)
            self._hosts = (self.clock(), hosts)
            return hosts

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
                self._terms.update((w, held[w]) for w in new[:TERMS])
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
    goal: np.ndarray, fields: tuple, hosts: Hosts, n: int = SUGGESTED
) -> list[tuple[str, float]]:
    """The `n` fields that sound most like `goal`, best first, with their
    fit: each field's names, or its hosts' words together, whichever fits
    better."""
    slugs, names = fields
    fit = dict(zip(slugs, (names @ goal).tolist(), strict=True))
    for slug, centre in hosts.centres.items():
        if slug in fit:
            fit[slug] = max(fit[slug], float(centre @ goal))
    best = sorted(fit.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(s, f) for s, f in best[:n] if f >= SUGGEST_MIN]


def found(query: np.ndarray, hosts: Hosts, n: int, field: str | None = None) -> list:
    """The ids of `hosts` (of `field`, if given) that fit `query` at least
    `FOUND_MIN`, best first, `n` at most."""
    rows = hosts.by_field.get(field) if field else np.arange(len(hosts.ids))
    if rows is None or not len(rows):
        return []
    fits = hosts.matrix[rows] @ query
    above = np.flatnonzero(fits >= FOUND_MIN)
    order = above[np.argsort(-fits[above], kind="stable")][:n]
    return [hosts.ids[rows[k]] for k in order.tolist()]
