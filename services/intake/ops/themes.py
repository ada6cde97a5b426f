"""Unmet demand by topic: the goals of requests that wait or were not
matched, grouped by meaning, so that ops see which hosts to recruit beyond
the field counts. Pure: the goals' vectors are the ones the matcher stored
(`goal_vectors`); grouping is scipy's average-linkage clustering on their
cosines. A group is told by the words of its goals nearest its centre by
meaning (so a group of French and English goals is told in both).

No one's goal shows through: a group is told only when `MIN_PEOPLE`
people at least asked in it, and a word only when that many of the
group's own requesters wrote it (one person's word is never told, however
many requests they file or words they plant elsewhere). Examples (goals as
written) are for HR alone (`ops.use_cases`).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

GOALS = 1000  # the latest goals grouped (0.2 s for 1,000, words read)
THEMES = 8  # groups told, the largest
MIN_PEOPLE = 3  # the fewest requesters behind a group, and behind a word told
WORDS = 5  # words told per group
MAX_TERMS = 500  # words read by the model at most per call
EXAMPLES = 3  # goals shown per group (HR)
# Goals closer than this (cosine distance, averaged between two groups) are
# grouped: a mean cosine of 0.3 and more. On `bench/data/meaning.yaml`,
# 0.7 keeps most groups to one field without splitting a field apart.
DISTANCE = 0.7
LETTERS = re.compile(r"[^\W\d_]{3,}")
# Words that say nothing of a topic, in English and French.
STOPWORDS = frozenset(
    """
    about after also and any are around back been before being between both
    but can could day days did does doing done each even every for from get
    had has have having how into its just know learn like look looking make
    many more most much need next not now often one only other our out over
    really role see should some such than that the their them then there these
    they thing things this those through understand want way ways well were
    what when where which while who why will with work working would year years
    you your job jobs career move moving someone people team day-to-day
    happens gets side interested person whether does really
    aimerais avec avoir avant beaucoup bien cela ces cet cette comme comment
    comprendre dans des deux donc elle entre est être faire fait font pas
    leur leurs mais même mes mon nos notre nous par peu peut plus pour pourquoi
    quand que quel quelle quelles quels qui quoi sans savoir ses son sont sur
    tous tout toute toutes très une vers voir vos votre voudrais vous aussi
    découvrir apprendre métier métiers travail travaille poste carrière
    aller passer ressemble journée équipe équipes chez depuis jour chaque
    personnes personne quelqu faut connaître les aux une ont sais veux
    suis mois company entreprise staff
    """.split()
)


def themes(goals: list[dict], read, examples: bool = False) -> dict:
    """`goals` (each: `goal`, `field`, `vector`, `who` asked), grouped: the
    `THEMES` largest groups of `MIN_PEOPLE` requesters or more, each with
    its words, how many requests, their fields and (`examples`) a few
    goals; and how many goals no told group holds. `read(words)`: their
    vectors (the model)."""
    told = []
    if len(goals) >= MIN_PEOPLE:
        vectors = np.stack([g["vector"] for g in goals])
        groups = [
            m
            for m in _groups(vectors)
            if len({goals[i]["who"] for i in m}) >= MIN_PEOPLE
        ][:THEMES]
        held = [_held(goals[i] for i in m) for m in groups]
        terms = sorted(set().union(*held))[:MAX_TERMS]
        term_vectors = read(terms) if terms else None
        for members, words in zip(groups, held, strict=True):
            chosen = [goals[i] for i in members]
            theme = {
                "words": _words(vectors[members], words, terms, term_vectors),
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


def _held(goals) -> set[str]:
    """The words that `MIN_PEOPLE` of these goals' requesters wrote."""
    people: dict = {}
    for g in goals:
        for w in _terms(g["goal"]):
            people.setdefault(w, set()).add(g["who"])
    return {w for w, who in people.items() if len(who) >= MIN_PEOPLE}


def _terms(text: str) -> set[str]:
    return {w for w in LETTERS.findall(text.casefold()) if w not in STOPWORDS}


def _words(vectors, held: set, terms: list, term_vectors) -> list[str]:
    """The group's `held` words, nearest the group's centre first."""
    if not held or term_vectors is None:
        return []
    nearness = term_vectors @ vectors.mean(axis=0)
    order = np.argsort(-nearness, kind="stable").tolist()
    return [terms[k] for k in order if terms[k] in held][:WORDS]
