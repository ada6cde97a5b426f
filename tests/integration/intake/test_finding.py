"""Finding by meaning with the real model and database: the fields a goal
sounds like, and hosts found in the directory by their words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.intake.web.throttle import Throttle
from services.matcher import use_cases as matcher_use_cases
from services.matcher.policy import Policy
from services.matcher.unit_of_work import UnitOfWork as MatcherUnitOfWork
from shared import meaning
from shared.db import connect
from tests.fixtures_intake import user
from tests.integration.intake.helpers import host_body

REQUESTER = user("camille.durand@example.com")
REQUESTER_FR = user("camille.durand@example.com", lang="fr")

STREAMING = (
    "I build real-time data pipelines that collect millions of events per hour"
    " from our connected machines: message brokers, stream processing, late"
    " events, duplicates and schema changes."
)
CONTRACTS = (
    "Je négocie et rédige les contrats commerciaux de l'entreprise avec nos"
    " clients et nos fournisseurs : clauses de responsabilité, propriété"
    " intellectuelle, litiges."
)
BUYING = [
    "I run the supplier qualification of our plants: audits of new suppliers,"
    " quality agreements and following their delivery performance.",
    "Je gère les achats de composants électroniques : appels d'offres,"
    " négociation des prix et des délais avec les fournisseurs.",
    "I buy raw materials for our factories and manage contracts, price"
    " indexes and the risk of a supplier failing.",
]
HOSTS = {
    "ines.moreau@example.com": ("Inès Moreau", ["data-engineering"], STREAMING, True),
    "paul.girard@example.com": ("Paul Girard", ["legal"], CONTRACTS, True),
    "lea.fontaine@example.com": ("Léa Fontaine", ["legal"], None, True),
    # three buyers who did not ask to be listed: their words are not read here
    **{
        f"buyer{i}@example.com": (f"Buyer {i}", ["procurement"], text, False)
        for i, text in enumerate(BUYING)
    },
}
SUPPLIERS = (
    "Je voudrais savoir comment on choisit et évalue les fournisseurs avant"
    " de signer avec eux"
)


@pytest.fixture
def hosts(client, app, runtime):
    """Listed hosts and unlisted ones, their words read by the matcher's own
    use case."""
    ids = {}
    for email, (name, fields, experience, listed) in HOSTS.items():
        body = host_body(name=name, fields=fields, experience=experience, listed=listed)
        response = client.put("/api/v1/hosts/me", json=body, headers=user(email))
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    policy = Policy(
        taxonomy=app.extensions["taxonomy"],
        response_timeout=timedelta(hours=72),
        lead=timedelta(hours=1),
        encoder=meaning.sentence_model(),
    )
    assert matcher_use_cases.read_profiles(
        MatcherUnitOfWork(runtime.pool), policy
    ) == len(HOSTS)
    return ids


def suggested(client, goal, headers=REQUESTER) -> list[dict]:
    response = client.post(
        "/api/v1/fields/suggestions", json={"goal": goal}, headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json["fields"]


def test_a_french_goal_sounds_like_the_field_of_a_host_whose_english_words_fit(
    client, hosts
):
    got = suggested(
        client,
        "Je voudrais passer du développement à l'ingénierie des données et"
        " comprendre comment on traite des flux d'événements en temps réel.",
        REQUESTER_FR,
    )
    assert got[0] == {"field": "data-engineering", "label": "Ingénierie des données"}
    assert len(got) <= 3  # in order, and how well each fits is not told


def test_only_the_words_of_hosts_who_agreed_to_be_found_speak_for_a_field(
    client, app, database_url, hosts
):
    assert suggested(client, SUPPLIERS) == []  # the field's names alone: too far
    with connect(database_url) as conn:
        conn.execute("UPDATE hosts SET listed = true WHERE email LIKE 'buyer%'")
    app.extensions["words"].drop_hosts()
    assert [f["field"] for f in suggested(client, SUPPLIERS)][:1] == ["procurement"]


def test_a_goal_of_a_few_words_or_no_model_suggests_nothing(client, app, hosts):
    assert suggested(client, "Curious about data") == []
    app.extensions["words"].encoder = None  # MATCH_BY_MEANING=off
    assert suggested(client, "I would like to understand streaming data") == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"goal": 3},
        {"goal": "x" * 2001},
        {"goal": "ok", "extra": 1},
        [],
        {"goal": "I would like to learn \ud800 about data"},  # half a pair
        {"goal": "I would like to learn about data", "\udfff": 1},
    ],
)
def test_a_bad_suggestions_body_is_422(client, body):
    response = client.post("/api/v1/fields/suggestions", json=body, headers=REQUESTER)
    assert response.status_code == 422


def test_one_person_asking_too_often_is_told_to_wait_and_others_are_not(client, app):
    app.extensions["throttle"] = Throttle(burst=2, per_second=1 / 60)
    goal = {"goal": "I would like to understand data pipelines"}
    for _ in range(2):
        ok = client.post("/api/v1/fields/suggestions", json=goal, headers=REQUESTER)
        assert ok.status_code == 200
    refused = client.post("/api/v1/fields/suggestions", json=goal, headers=REQUESTER)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "too_many_searches"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    searched = client.get(
        "/api/v1/hosts", query_string={"q": "data"}, headers=REQUESTER
    )
    assert searched.status_code == 429
    other = user("someone.else@example.com")
    assert (
        client.post("/api/v1/fields/suggestions", json=goal, headers=other).status_code
        == 200
    )


def test_suggestions_need_a_signed_in_person(client):
    response = client.post("/api/v1/fields/suggestions", json={"goal": "x"})
    assert response.status_code == 401


def test_the_directory_finds_hosts_by_their_words_after_those_found_by_name(
    client, hosts
):
    def names(q, **params):
        response = client.get(
            "/api/v1/hosts", query_string={"q": q, **params}, headers=REQUESTER
        )
        assert response.status_code == 200
        return [h["name"] for h in response.json["hosts"]]

    assert names("contrats fournisseurs et litiges") == ["Paul Girard"]
    assert names("streaming data pipelines") == ["Inès Moreau"]
    # a name finds no one by words; a host who wrote nothing is found by name
    assert names("Léa") == ["Léa Fontaine"]
    assert names("Paul") == ["Paul Girard"]
    assert names("juridique, droit") == ["Paul Girard"]
    assert names("streaming data pipelines", field="legal") == []


def test_the_directory_finds_no_unlisted_or_inactive_host_by_words(
    client, hosts, database_url
):
    with connect(database_url) as conn:
        conn.execute("UPDATE hosts SET listed = false WHERE name = 'Inès Moreau'")
        conn.execute("UPDATE hosts SET active = false WHERE name = 'Paul Girard'")
    for q in ("streaming data pipelines", "contrats fournisseurs et litiges"):
        response = client.get("/api/v1/hosts", query_string={"q": q}, headers=REQUESTER)
        assert response.json["hosts"] == []
