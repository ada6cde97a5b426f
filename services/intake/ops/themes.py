"""Unmet demand by topic: the goals of requests that wait or were not
matched, grouped by meaning, so that ops see which hosts to recruit beyond
the field counts. Pure: the goals' vectors are the ones the matcher stored
(`goal_vectors`); grouping is scipy's average-linkage clustering on their
cosines.

No one's goal shows through: a group is told only when `MIN_PEOPLE`
people at least asked in it, and it is told by the topics of a fixed list
(`shared/data/topics.txt`, English and French) nearest its centre by
meaning, never by words the requesters wrote: a word drawn from goals
could be one person's, and accomplices filing goals near it could make it
shown. Examples (goals as written) are for HR alone (`ops.use_cases`).
"""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

import numpy as np

import shared

TOPICS_FILE = Path(shared.__file__).resolve().parent / "data" / "topics.txt"
GOALS = 1000  # the latest goals grouped (0.2 s for 1,000, topics read)
THEMES = 8  # groups told, the largest
MIN_PEOPLE = 3  # the fewest requesters behind a group
WORDS = 5  # topics told per group
EXAMPLES = 3  # goals shown per group (HR)
# Goals closer than this (cosine distance, averaged between two groups) are
# grouped: a mean cosine of 0.3 and more. On `bench/data/meaning.yaml`,
# 0.7 keeps most groups to one field without splitting a field apart.
DISTANCE = 0.7


@functools.cache
def topics() -> tuple[str, ...]:
    """The fixed list of topics that may tell a group (read once)."""
    lines = TOPICS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(t.strip() for t in lines if t.strip() and not t.startswith("#"))


def themes(goals: list[dict], read, examples: bool = False, told_by=None) -> dict:
    """`goals` (each: `goal`, `field`, `vector`, `who` asked), grouped: the
    `THEMES` largest groups of `MIN_PEOPLE` requesters or more, each with
    the topics nearest it (of `told_by`, else `topics()`), how many
    requests, their fields and (`examples`) a few goals; and how many goals
    no told group holds. `read(texts)`: their vectors (the model)."""
    told = []
    if len(goals) >= MIN_PEOPLE:
        vectors = np.stack([g["vector"] for g in goals])
        groups = [
            m
            for m in _groups(vectors)
            if len({goals[i]["who"] for i in m}) >= MIN_PEOPLE
        ][:THEMES]
        names = list(told_by if told_by is not None else topics())
        named = read(names) if groups and names else None
        for members in groups:
            chosen = [goals[i] for i in members]
            theme = {
                "words": _nearest(vectors[members], names, named),
                "requests": len(chosen),
                "fields": dict(Counter(g["field"] for g in chosen).most_common()),
            }
            if examples:
                theme["examples"] = [g["goal"] for g in chosen[:EXAMPLES]]
            told.append(theme)
    return {
        "themes": told,
        "ungrouped": len(goals) - sum(t["requests"] for t in told),
    }


def _groups(vectors: np.ndarray) -> list[list[int]]:
    """Indices of each group of `MIN_PEOPLE` goals or more, largest first,
    each group's members nearest its centre first."""
    # scipy's clustering loads on the first grouping (0.3 s), not at start-up
    from scipy.cluster.hierarchy import fcluster, linkage

    cosines = np.clip(vectors @ vectors.T, -1.0, 1.0)
    upper = np.triu_indices(len(vectors), 1)
    labels = fcluster(linkage(1.0 - cosines[upper], "average"), DISTANCE, "distance")
    out = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) >= MIN_PEOPLE:
            centre = vectors[members].mean(axis=0)
            near = np.argsort(-(vectors[members] @ centre), kind="stable")
            out.append(members[near].tolist())
    return sorted(out, key=lambda m: (-len(m), m[0]))


def _nearest(vectors, names: list, named) -> list[str]:
    """The `WORDS` topics nearest the centre of `vectors`."""
    if named is None:
        return []
    nearness = named @ vectors.mean(axis=0)
    return [names[k] for k in np.argsort(-nearness, kind="stable")[:WORDS].tolist()]
