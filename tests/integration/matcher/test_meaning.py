"""Matching by meaning with the real model, broker and database."""

from datetime import timedelta

import pytest

from shared import meaning
from tests.integration.matcher.world import add_host, add_request, matches
from tests.support import wait_for

PLANT = (
    "I have been the controller of a manufacturing plant for six years: standard"
    " costs, monthly variances between planned and actual production costs,"
    " inventory valuation, time on the shop floor with production managers."
)
HOSPITAL = (
    "I am a management controller for a group of private hospitals: the budget of"
    " each care unit, the cost of a patient stay, talking figures with doctors."
)
GOAL_FR = (
    "Je voudrais comprendre comment on calcule le coût de revient des pièces"
    " fabriquées en usine et pourquoi il s'écarte du prévisionnel."
)


@pytest.mark.parametrize("round_window", [0, 3], ids=["on-arrival", "rounds"])
def test_a_french_goal_is_proposed_the_host_whose_english_words_fit_it(
    conn, matcher, round_window
):
    plant = add_host(conn, host_fields=("controlling",), experience=PLANT)
    hospital = add_host(conn, host_fields=("controlling",), experience=HOSPITAL)
    # fairness alone would choose the hospital's controller, never invited
    conn.execute("UPDATE hosts SET last_invited_at = now() WHERE id = %s", (plant,))
    running = matcher(
        round_window=timedelta(seconds=round_window),
        encoder=meaning.sentence_model(),
    )
    wait_for(
        lambda: (
            conn.execute(
                "SELECT count(*) AS n FROM host_vectors WHERE host_id = ANY(%s)",
                ([plant, hospital],),
            ).fetchone()["n"]
            == 2
        ),
        60,
        message="both profiles read",
    )
    rid = add_request(conn, field="controlling", goal=GOAL_FR)
    proposed = wait_for(lambda: matches(conn, rid), 60, message="a proposal")[0]
    assert proposed["host_id"] == plant
    score = conn.execute(
        "SELECT score FROM matches WHERE id = %s", (proposed["id"],)
    ).fetchone()["score"]
    assert score["fit_band"] == 0 and score["fit"] == score["best_fit"]
    assert running.policy.encoder.name == meaning.SentenceModel.name


def test_texts_read_in_parts_side_by_side_are_read_as_one_part_reads_them():
    texts = [PLANT, HOSPITAL, GOAL_FR] * meaning.PER_THREAD
    alone = meaning.SentenceModel(threads=1).embed(texts)
    parts = meaning.SentenceModel(threads=3).embed(texts)
    assert alone.shape == parts.shape == (len(texts), meaning.DIMENSIONS)
    assert (alone * parts).sum(axis=1).min() > 0.9999
