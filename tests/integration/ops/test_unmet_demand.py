"""Unmet demand by topic, with the real model and database: the goals of
waiting requests grouped by meaning, told to ops without anyone's goal."""

from __future__ import annotations

from services.intake.ops import themes
from shared import meaning
from shared.db import connect
from tests.fixtures_intake import user
from tests.integration.intake.helpers import count, request_body

OPS = user("ops.person@example.com", "ops")
HR = user("hr.person@example.com", "hr")

# Two topics, four goals each (of four people), in French and English.
PAYROLL = [
    "I would like to understand how payroll is run each month and how salaries are computed.",
    "Je voudrais comprendre comment se prépare la paie chaque mois et le calcul des salaires.",
    "How do payroll specialists check the salaries before they are paid every month?",
    "What does a payroll manager do when salaries are wrong at the end of the month?",
]
SECURITY = [
    "I want to learn how a security team hunts attackers inside the network.",
    "Comment une équipe de sécurité détecte-t-elle les attaquants dans le réseau ?",
    "I am curious how security analysts investigate an intrusion in the network.",
    "How does a security operations centre watch the network for intrusions?",
]


def waiting(client, database_url, goals, status="waitlisted"):
    """Requests with `goals`, waiting, their goals read as the matcher does."""
    model = meaning.sentence_model()
    with connect(database_url) as conn:
        for i, goal in enumerate(goals):
            rid = client.post(
                "/api/v1/requests",
                json=request_body(goal=goal),
                headers=user(f"requester{len(goal)}.{i}@example.com"),
            ).json["id"]
            conn.execute("UPDATE requests SET status = %s WHERE id = %s", (status, rid))
            if meaning.says_enough(goal):
                conn.execute(
                    "INSERT INTO goal_vectors (request_id, model, vector)"
                    " VALUES (%s, %s, %s)",
                    (rid, model.name, meaning.to_bytes(model.embed([goal])[0])),
                )


def test_ops_see_waiting_goals_grouped_by_topic_with_words_and_no_goal(
    client, database_url
):
    waiting(client, database_url, PAYROLL + SECURITY[:2])
    waiting(client, database_url, SECURITY[2:], status="unmatched")
    waiting(client, database_url, ["Curious"])
    got = client.get("/ops/api/summary", headers=OPS).json["unmet_demand"]
    assert sorted(t["requests"] for t in got["themes"]) == [4, 4]
    words = {w for t in got["themes"] for w in t["words"]}
    assert {"payroll", "paie"} & words, words  # topics of the fixed list
    assert {"cybersecurity", "security incidents", "cybersécurité"} & words, words
    assert words <= set(themes.topics())
    assert all("examples" not in t for t in got["themes"])
    assert got["ungrouped"] == 0 and got["unread"] == 1 and got["days"] == 30
    page = client.get("/ops", headers=OPS)
    assert page.status_code == 200 and b'id="unmet-demand"' in page.data
    text = page.data.decode()
    assert not any(g[:40] in text for g in PAYROLL + SECURITY)


def test_hr_read_examples_of_goals_and_the_read_is_on_the_access_trail(
    client, database_url
):
    waiting(client, database_url, PAYROLL)
    got = client.get("/ops/api/summary", headers=HR).json["unmet_demand"]
    (theme,) = got["themes"]
    assert set(theme["examples"]) <= set(PAYROLL) and len(theme["examples"]) == 3
    assert "payroll" in theme["words"] or "paie" in theme["words"]
    assert (
        count(database_url, "SELECT count(*) FROM audit WHERE action = 'unmet_goals'")
        == 1
    )
    client.get("/ops", headers=HR)  # the dashboard shows none: not on the trail
    assert (
        count(database_url, "SELECT count(*) FROM audit WHERE action = 'unmet_goals'")
        == 1
    )


def test_a_group_needs_three_people_and_no_model_tells_nothing(
    client, app, database_url
):
    waiting(client, database_url, PAYROLL[:2] + SECURITY[:1])
    got = client.get("/ops/api/summary", headers=OPS).json["unmet_demand"]
    assert got["themes"] == [] and got["ungrouped"] == 3
    app.extensions["words"].encoder = None  # MATCH_BY_MEANING=off
    assert client.get("/ops/api/summary", headers=OPS).json["unmet_demand"] is None
