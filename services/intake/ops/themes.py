"""Unmet demand by topic: the goals of requests that wait or were not
matched, grouped by meaning, so that ops see which hosts to recruit beyond
the field counts. Pure: the goals' vectors are the ones the matcher stored
(`goal_vectors`); grouping is scipy's average-linkage clustering on their
cosines. A group is told by the words of its goals nearest its centre by
meaning (so a group of French and English goals is told in both).

No one's goal shows through: a group stands for `MIN_REQUESTS` requests
at least, and a word is told only when `MIN_WORD_GOALS` goals hold it
(one person's word is never told).
Examples (goals as written) are for HR alone (`ops.use_cases`).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

GOALS = 1000  # the latest goals grouped (0.2 s for 1,000, words read)
THEMES = 8  # groups told, the largest
MIN_REQUESTS = 3  # the fewest requests behind a group
MIN_WORD_GOALS = 2  # the fewest goals that hold a word told
WORDS = 5  # words told per group
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
    """`goals` (each: `goal`, `field`, `vector`), grouped: the `THEMES`
    largest groups of `MIN_REQUESTS` or more, each with its words, how many
    requests, their fields and (`examples`) a few goals; and how many
    goals no group holds. `read(words)`: their vectors (the model)."""
    if len(goals) < MIN_REQUESTS:
        return {"themes": [], "ungrouped": len(goals)}
    vectors = np.stack([g["vector"] for g in goals])
    groups = _groups(vectors)[:THEMES]
    counts = _document_counts(g["goal"] for g in goals)
    terms = sorted(w for w, k in counts.items() if k >= MIN_WORD_GOALS)
    term_vectors = read(terms) if terms and groups else None
    told = []
    for members in groups:
        chosen = [goals[i] for i in members]
        theme = {
            "words": _words(chosen, vectors[members], terms, term_vectors),
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
    """Indices of each group of `MIN_REQUESTS` or more, largest first, each
    group's members nearest its centre first."""
    cosines = np.clip(vectors @ vectors.T, -1.0, 1.0)
    upper = np.triu_indices(len(vectors), 1)
    labels = fcluster(linkage(1.0 - cosines[upper], "average"), DISTANCE, "distance")
    out = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) >= MIN_REQUESTS:
            centre = vectors[members].mean(axis=0)
            near = np.argsort(-(vectors[members] @ centre), kind="stable")
            out.append(members[near].tolist())
    return sorted(out, key=lambda m: (-len(m), m[0]))


def _document_counts(texts) -> Counter:
    counts = Counter()
    for text in texts:
        counts.update(_terms(text))
    return counts


def _terms(text: str) -> set[str]:
    return {w for w in LETTERS.findall(text.casefold()) if w not in STOPWORDS}


def _words(chosen, vectors, terms, term_vectors) -> list[str]:
    """Of `terms` (held by `MIN_WORD_GOALS` goals or more), those the
    group's goals hold, nearest the group's centre first."""
    if not terms:
        return []
    held = set().union(*(_terms(g["goal"]) for g in chosen))
    nearness = term_vectors @ vectors.mean(axis=0)
    order = np.argsort(-nearness, kind="stable").tolist()
    return [terms[k] for k in order if terms[k] in held][:WORDS]
