"""The fields a goal sounds like and hosts found by their words: pure
rules on vectors (no model, no database)."""

from __future__ import annotations

import numpy as np

from services.intake.words import (
    FIELD_HOSTS,
    FOUND_MIN,
    HOSTS_FOR,
    SUGGEST_MIN,
    Hosts,
    Words,
    found,
    suggest,
)


def unit(*xs) -> np.ndarray:
    v = np.asarray(xs, np.float32)
    return v / np.linalg.norm(v)


GOAL = unit(1, 0, 0)
FIELDS = (
    ["data-engineering", "legal", "devops"],
    np.stack([unit(0.3, 1, 0), unit(0, 1, 0), unit(0.25, 0, 1)]),
)


def test_a_field_sounds_like_a_goal_as_much_as_its_hosts_words_together_do():
    by_names = suggest(GOAL, FIELDS, Hosts())
    assert [s for s, _ in by_names] == ["data-engineering", "devops"]
    legal = [(["legal"], unit(0.9, 0.1, 0))] * FIELD_HOSTS
    got = suggest(GOAL, FIELDS, hosts_of(legal))
    assert [s for s, _ in got] == ["legal", "data-engineering", "devops"]
    assert got[0][1] > got[1][1] > got[2][1] >= SUGGEST_MIN


def test_fewer_hosts_than_a_field_needs_never_speak_for_it():
    few = hosts_of([(["legal"], unit(1, 0, 0))] * (FIELD_HOSTS - 1))
    assert [s for s, _ in suggest(GOAL, FIELDS, few)] == ["data-engineering", "devops"]


def test_a_field_that_fits_too_little_is_not_suggested_and_three_at_most():
    assert suggest(unit(0, 0, -1), FIELDS, Hosts()) == []
    many = hosts_of([([f"f{i}"], GOAL) for i in range(5) for _ in range(FIELD_HOSTS)])
    fields = ([f"f{i}" for i in range(5)], np.stack([unit(0, 1, 0)] * 5))
    assert len(suggest(GOAL, fields, many)) == 3


def test_hosts_are_found_best_first_and_only_above_the_least_fit():
    hosts = hosts_of(
        [(["x"], unit(0.5, 1, 0)), (["x"], unit(1, 0.1, 0)), (["x"], unit(0, 1, 0))]
    )
    a, b, _ = hosts.ids
    assert found(GOAL, hosts, 50) == [b, a]
    assert float(unit(0, 1, 0) @ GOAL) < FOUND_MIN
    assert found(GOAL, Hosts(), 50) == [] and found(GOAL, hosts, 1) == [b]
    assert found(GOAL, hosts, 50, field="x") == [b, a]
    assert found(GOAL, hosts, 50, field="y") == []


def hosts_of(pairs) -> Hosts:
    rows = [{"id": f"h{i}", "fields": f} for i, (f, _) in enumerate(pairs)]
    return Hosts.of(rows, {f"h{i}": v for i, (_, v) in enumerate(pairs)})


class CountingModel:
    name = "count-1"

    def __init__(self):
        self.read: list[str] = []

    def embed(self, texts, wait=None):
        self.read += texts
        return np.stack([unit(len(t), 1, 0) for t in texts])


def test_words_read_the_fields_once_and_each_term_once():
    from shared.fields import Field, Taxonomy

    model = CountingModel()
    words = Words(model, Taxonomy([Field("legal", {"en": "Legal", "fr": "Juridique"})]))
    assert words.fields()[0] == ["legal"] and words.fields()[0] == ["legal"]
    assert model.read == ["Legal, Juridique"]
    words.terms(["payroll", "salary"])
    words.terms(["salary", "audit"])
    assert model.read[1:] == ["payroll", "salary", "audit"]
    assert Words(None, None).on is False


def test_the_hosts_vectors_are_read_again_after_a_while_and_a_forgotten_host_goes():
    now = [0.0]
    words = Words(CountingModel(), None, clock=lambda: now[0])
    rows = [
        {"id": "a", "fields": ["x"], "profile_at": 1},
        {"id": "b", "fields": ["y"], "profile_at": 1},
    ]
    fetched = []

    def fetch(ids, model):
        fetched.append(sorted(ids))
        return {i: (1, np.ones(3, np.float16).tobytes()) for i in ids}

    assert words.hosts(lambda: rows, fetch).ids == ["a", "b"]
    del rows[1]  # forgotten: still held until the vectors are read again
    assert words.hosts(lambda: rows, fetch).ids == ["a", "b"]
    now[0] += HOSTS_FOR
    assert words.hosts(lambda: rows, fetch).ids == ["a"]
    assert fetched == [["a", "b"]]  # each version fetched once
    assert "b" not in words._vectors
