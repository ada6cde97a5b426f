"""Unmet demand by topic: grouping goals by their vectors, telling each
group by words its requesters share, and never one person's goal or word."""

from __future__ import annotations

import numpy as np

from services.intake.ops.themes import MIN_PEOPLE, THEMES, themes


def goal(text, field, direction, who, noise=0.1, seed=0):
    v = np.zeros(16, np.float32)
    v[direction] = 1.0
    v += np.random.default_rng(seed).normal(0, noise, 16).astype(np.float32)
    return {"goal": text, "field": field, "vector": v / np.linalg.norm(v), "who": who}


def read(words):
    """A word's vector: payroll words point one way, the rest another."""
    return np.stack(
        [
            np.eye(16, dtype=np.float32)[0 if w.startswith(("pay", "sal")) else 1]
            for w in words
        ]
    )


PAYROLL = [
    goal("payroll each month, salaries", "payroll", 0, "a", seed=1),
    goal("how payroll checks salaries", "payroll", 0, "b", seed=2),
    goal("la paie, payroll et les salaries, chemotherapy", "hr", 0, "c", seed=3),
]
SECURITY = [
    goal(f"security incident {i}", "cybersecurity", 1, f"s{i}", seed=10 + i)
    for i in range(4)
]


def test_goals_are_grouped_by_meaning_largest_first_with_their_fields():
    out = themes(PAYROLL + SECURITY, read)
    assert [t["requests"] for t in out["themes"]] == [4, 3]
    assert out["themes"][1]["fields"] == {"payroll": 2, "hr": 1}
    assert out["ungrouped"] == 0


def test_a_group_is_told_by_words_three_of_its_requesters_wrote():
    payroll = themes(PAYROLL + SECURITY, read)["themes"][1]
    assert sorted(payroll["words"]) == ["payroll", "salaries"]
    assert "chemotherapy" not in str(payroll) and "examples" not in payroll


def test_one_persons_requests_or_planted_words_tell_nothing_of_them():
    mine = [
        goal(f"sick leave after chemotherapy, payroll {i}", "payroll", 0, "me", seed=i)
        for i in range(3)
    ]
    assert themes(mine, read) == {"themes": [], "ungrouped": 3}
    # a word planted by another requester does not unlock one person's word
    planted = [goal("payroll salaries chemotherapy", "payroll", 0, "x", seed=20)]
    out = themes([*PAYROLL[:2], mine[0], *planted], read)
    assert out["themes"] and "chemotherapy" not in out["themes"][0]["words"]


def test_examples_only_when_asked_and_groups_of_fewer_people_are_not_told():
    out = themes(PAYROLL + SECURITY[: MIN_PEOPLE - 1], read, examples=True)
    assert [t["requests"] for t in out["themes"]] == [3]
    assert set(out["themes"][0]["examples"]) == {g["goal"] for g in PAYROLL}
    assert out["ungrouped"] == MIN_PEOPLE - 1
    assert themes(PAYROLL[:2], read) == {"themes": [], "ungrouped": 2}


def test_at_most_the_largest_groups_are_told():
    goals = [
        goal(f"topic {d}", "f", d, f"p{d}.{i}", 0.01, 100 * d + i)
        for d in range(12)
        for i in range(3)
    ]
    out = themes(goals, read)
    assert len(out["themes"]) == THEMES and out["ungrouped"] == 3 * (12 - THEMES)
