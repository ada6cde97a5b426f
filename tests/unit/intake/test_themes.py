"""Unmet demand by topic: grouping goals by their vectors, telling each
group by the fixed topics nearest it, and never one person's goal or word."""

from __future__ import annotations

import numpy as np

from services.intake.ops.themes import MIN_PEOPLE, THEMES, themes, topics


def goal(text, field, direction, who, noise=0.1, seed=0):
    v = np.zeros(16, np.float32)
    v[direction] = 1.0
    v += np.random.default_rng(seed).normal(0, noise, 16).astype(np.float32)
    return {"goal": text, "field": field, "vector": v / np.linalg.norm(v), "who": who}


TOPICS = ["payroll", "salaries", "security", "chemotherapy"]


def read(words):
    """A topic's vector: payroll topics point one way, security another, the
    rest a third."""
    eye = np.eye(16, dtype=np.float32)
    return np.stack(
        [
            eye[0 if w.startswith(("pay", "sal")) else 1 if w == "security" else 2]
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
    out = themes(PAYROLL + SECURITY, read, told_by=TOPICS)
    assert [t["requests"] for t in out["themes"]] == [4, 3]
    assert out["themes"][1]["fields"] == {"payroll": 2, "hr": 1}
    assert out["ungrouped"] == 0


def test_a_group_is_told_by_the_topics_nearest_it_never_by_its_goals_words():
    security, payroll = themes(PAYROLL + SECURITY, read, told_by=TOPICS)["themes"]
    assert payroll["words"][:2] == ["payroll", "salaries"]
    assert security["words"][0] == "security"
    assert "paie" not in str(payroll) and "examples" not in payroll
    assert themes(PAYROLL, read)["themes"][0]["words"][0] in topics()


def test_one_persons_requests_or_planted_words_tell_nothing_of_them():
    mine = [
        goal(f"sick leave after chemotherapy, payroll {i}", "payroll", 0, "me", seed=i)
        for i in range(3)
    ]
    assert themes(mine, read, told_by=TOPICS) == {"themes": [], "ungrouped": 3}
    # goals planted by others beside one person's tell nothing of its words
    planted = [
        goal(f"payroll chemotherapy {w}", "payroll", 0, w, seed=20 + k)
        for k, w in enumerate("xyz")
    ]
    out = themes([mine[0], *planted], read, told_by=["payroll", "security"])
    assert out["themes"][0]["words"] == ["payroll", "security"]


def test_examples_only_when_asked_and_groups_of_fewer_people_are_not_told():
    out = themes(
        PAYROLL + SECURITY[: MIN_PEOPLE - 1], read, examples=True, told_by=TOPICS
    )
    assert [t["requests"] for t in out["themes"]] == [3]
    assert set(out["themes"][0]["examples"]) == {g["goal"] for g in PAYROLL}
    assert out["ungrouped"] == MIN_PEOPLE - 1
    assert themes(PAYROLL[:2], read, told_by=TOPICS) == {"themes": [], "ungrouped": 2}


def test_at_most_the_largest_groups_are_told():
    goals = [
        goal(f"topic {d}", "f", d, f"p{d}.{i}", 0.01, 100 * d + i)
        for d in range(12)
        for i in range(3)
    ]
    out = themes(goals, read, told_by=TOPICS)
    assert len(out["themes"]) == THEMES and out["ungrouped"] == 3 * (12 - THEMES)
