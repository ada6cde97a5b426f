"""Ranking by meaning with a fake model (words as axes): the bands of fit,
and what the use cases do with them."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import numpy as np
import pytest

from services.matcher import handlers, ranking, use_cases, vectors
from services.matcher.fit import LAST, NO_FITS, RELATED_PENALTY, STEP, Fits
from services.matcher.model import Request
from tests.unit.matcher import factories as f
from tests.unit.matcher.fakes import FakeUnitOfWork
from tests.unit.matcher.test_use_cases import T0, Clock, host, live, policy, request

WORDS = ("factory", "costs", "hospital", "patients", "payroll", "startup")


class WordModel:
    """A text's vector counts the `WORDS` it holds."""

    name = "words-1"

    def __init__(self):
        self.read: list[str] = []

    def embed(self, texts, wait=None):
        self.read += texts
        rows = [[len(re.findall(w, t.lower())) for w in WORDS] for t in texts]
        vectors = np.asarray(rows, np.float32) + 1e-3
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_hosts_within_a_step_of_the_best_share_its_band_and_poorer_ones_follow():
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    fits = Fits.of(
        {a: 0.80, b: 0.80 - STEP / 2, c: 0.80 - 2.5 * STEP, d: 0.1}, {a, b, c, d}
    )
    assert [fits.band(h) for h in (a, b, c, d)] == [0, 0, 2, LAST]
    unread = uuid.uuid4()  # its words not read yet: as if the model were off
    assert fits.band(unread) == 0 and fits.misfit(unread) == 0
    assert fits.misfit(a) == 0 and fits.misfit(b) == pytest.approx(STEP / 2)


def test_a_related_host_counts_less_and_without_a_model_every_host_is_in_band_0():
    exact, related, clearly = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    fits = Fits.of({exact: 0.5, related: 0.5, clearly: 0.5 + RELATED_PENALTY + 3 * STEP},
                   {exact})  # fmt: skip
    assert [fits.band(h) for h in (clearly, exact, related)] == [0, 3, LAST]
    assert NO_FITS.band(exact) == 0 and NO_FITS.misfit(exact) == 0


def test_a_clear_fit_comes_before_a_host_invited_less_recently():
    fit, other = f.host(last_invited_at=T0), f.host()
    r = f.request(("2030-01-01T08:00:00+00:00", "2030-01-01T12:00:00+00:00"))
    fits = Fits.of({fit.id: 0.9, other.id: 0.5}, {fit.id, other.id})
    assert ranking.tier(fit, r, fits) < ranking.tier(other, r, fits)
    assert ranking.tier(fit, r) == ranking.tier(other, r)


def test_the_preferred_host_of_the_field_stays_first_whatever_the_fit():
    preferred, better = f.host(), f.host()
    r = f.request(("2030-01-01T08:00:00+00:00", "2030-01-01T12:00:00+00:00"))
    r.preferred_host = preferred.id
    fits = Fits.of({preferred.id: 0.1, better.id: 0.9}, {preferred.id, better.id})
    assert ranking.tier(preferred, r, fits) < ranking.tier(better, r, fits)


@pytest.mark.parametrize("round_window", [timedelta(0), timedelta(seconds=3)])
def test_the_host_whose_words_fit_the_goal_is_proposed_on_arrival_and_in_a_round(
    round_window,
):
    uow, clock = FakeUnitOfWork(), Clock()
    model = WordModel()
    m = policy(clock, round_window=round_window)
    m.encoder = model
    hospital = host(uow.repo, experience="Hospital budgets and patients")
    plant = host(uow.repo, experience="Factory costs", last_invited_at=T0)
    for h in (hospital, plant):
        use_cases.serve_new_profile(uow, m, h, [])
    r = request(uow.repo, goal="How are costs computed in a factory?")
    if round_window:
        use_cases.match_new_request(uow, m, r)
        clock.t += 2 * round_window
        use_cases.match_round(uow, m)
    else:
        use_cases.match_new_request(uow, m, r)
    (proposed,) = live(uow.repo, r)
    assert proposed["host_id"] == plant
    assert proposed["score"]["fit_band"] == 0 and proposed["score"]["misfit"] == 0
    assert "How are costs computed in a factory?" in model.read  # the goal, read once
    assert model.read.count("How are costs computed in a factory?") == 1


def test_without_a_model_the_least_recently_invited_host_is_proposed():
    uow, clock = FakeUnitOfWork(), Clock()
    hospital = host(uow.repo, experience="Hospital budgets and patients")
    host(uow.repo, experience="Factory costs", last_invited_at=T0)
    r = request(uow.repo, goal="How are costs computed in a factory?")
    use_cases.match_new_request(uow, policy(clock), r)
    (proposed,) = live(uow.repo, r)
    assert proposed["host_id"] == hospital and proposed["score"]["fit"] is None


def test_a_forgotten_hosts_words_are_dropped_from_the_store_and_the_process():
    uow, clock = FakeUnitOfWork(), Clock()
    m = policy(clock)
    m.encoder = WordModel()
    h = host(uow.repo, experience="Factory costs")
    use_cases.serve_new_profile(uow, m, h, [])
    m.host_vectors.get(
        uow.repo.host_vectors, m.encoder.name, {h: None}
    )  # as a ranking fetches it
    assert h in uow.repo.host_vecs and h in m.host_vectors
    use_cases.forget_words(uow, m, host_id=h)
    assert h not in uow.repo.host_vecs and h not in m.host_vectors


@pytest.mark.parametrize("goal", ["Curious", "Factory costs", "coûts en usine"])
def test_a_goal_of_too_few_words_is_ranked_on_fields_alone(goal):
    uow, clock = FakeUnitOfWork(), Clock()
    m = policy(clock)
    m.encoder = WordModel()
    hospital = host(uow.repo, experience="Hospital budgets and patients")
    plant = host(uow.repo, experience="Factory costs", last_invited_at=T0)
    for h in (hospital, plant):
        use_cases.serve_new_profile(uow, m, h, [])
    r = request(uow.repo, goal=goal)
    use_cases.match_new_request(uow, m, r)
    (proposed,) = live(uow.repo, r)
    assert proposed["host_id"] == hospital and proposed["score"]["fit"] is None
    assert goal not in m.encoder.read


def test_the_fits_leave_out_the_requesters_own_profile_and_hosts_excluded_or_paused():
    uow, clock = FakeUnitOfWork(), Clock()
    m = policy(clock)
    m.encoder = WordModel()
    plant = host(uow.repo, experience="Factory costs")
    own = host(uow.repo, experience="Factory costs in a factory")
    paused_host = host(
        uow.repo,
        experience="Factory costs",
        paused_until=(T0 + timedelta(days=9)).date(),
    )
    declined = host(uow.repo, experience="Factory costs")
    hospital = host(uow.repo, experience="Hospital budgets")
    for h in (plant, own, paused_host, declined, hospital):
        use_cases.serve_new_profile(uow, m, h, [])
    r = request(
        uow.repo,
        goal="How are costs computed in a factory?",
        requester_email=uow.repo.hosts[own]["email"],
    )
    req = Request.from_row(uow.repo.requests[r])
    fits = vectors.candidate_fits(uow, m, req, ["management"], {declined})
    assert set(fits.by_host) == {plant, hospital}
    assert fits.band(plant) == 0 and fits.band(hospital) > 0
    other = request(uow.repo, goal="How are costs computed in a factory?")
    again = vectors.candidate_fits(
        uow, m, Request.from_row(uow.repo.requests[other]), ["management"], set()
    )
    assert set(again.by_host) == {plant, own, declined, hospital}  # the same pool


def test_a_batchs_new_requests_have_their_goals_read_in_one_call_then_never_again():
    uow, clock = FakeUnitOfWork(), Clock()
    m = policy(clock)
    m.encoder = model = WordModel()
    calls = []
    embed = model.embed
    model.embed = lambda texts, wait=None: calls.append(list(texts)) or embed(texts)
    plant = host(uow.repo, experience="Factory costs", capacity=3)
    use_cases.serve_new_profile(uow, m, plant, [])
    goals = ["How are costs computed in a factory?",
             "What does a plant controller do all day?",
             "Factory costs and budgets, from the inside"]  # fmt: skip
    ids = [request(uow.repo, goal=g) for g in goals]
    batch = [SimpleNamespace(event_type="IntroRequested", payload={"request_id": r})
             for r in ids] + [SimpleNamespace(event_type="IntroCancelled",
                                              payload={"request_id": uuid.uuid4()})]  # fmt: skip
    calls.clear()
    handlers.goals_ahead(uow, batch, m)
    assert calls == [goals]  # one call to the model for the batch's goals
    for r in ids:
        use_cases.match_new_request(uow, m, r)
    assert calls == [goals]  # each handler found its goal read
    assert all(live(uow.repo, r) for r in ids)


def test_with_rounds_a_batchs_goals_are_left_to_the_round():
    uow, clock = FakeUnitOfWork(), Clock()
    m = policy(clock, round_window=timedelta(seconds=3))
    m.encoder = model = WordModel()
    ids = [request(uow.repo, goal=f"How are costs computed in factory {i}?")
           for i in range(3)]  # fmt: skip
    batch = [SimpleNamespace(event_type="IntroRequested", payload={"request_id": r})
             for r in ids]  # fmt: skip
    handlers.goals_ahead(uow, batch, m)
    assert model.read == [] and uow.repo.goal_vecs == {}
