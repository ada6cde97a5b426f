"""Bad input: a clear 4xx naming the field, in the caller's language, and nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fixtures_intake import user
from tests.integration.intake.helpers import count, future, host_body, request_body

CAMILLE = user("camille.durand@example.com")


def assert_names(errors: dict, field: str) -> None:
    """The contract's shape: {"<field>": ["message", ...]}, nested fields as dotted paths."""
    assert any(k == field or k.startswith(field + ".") for k in errors), errors
    assert all(
        isinstance(v, list) and v and all(isinstance(m, str) for m in v)
        for v in errors.values()
    ), errors


start = future(3)

LINE_BREAKS = [
    ("CR", "\r"),
    ("LF", "\n"),
    ("NEL", "\u0085"),
    ("line separator", "\u2028"),
    ("paragraph separator", "\u2029"),
]

BAD_REQUESTS = [
    ("unknown key", {"colour": "blue"}, "colour"),
    ("missing name", {"name": None}, "name"),
    ("empty name", {"name": ""}, "name"),
    ("NUL in the name", {"name": "Camille\x00"}, "name"),
    ("control character in the goal", {"goal": "learn \x1b[31m things"}, "goal"),
    ("huge goal", {"goal": "x" * 5000}, "goal"),
    ("unknown field", {"field": "astrology"}, "field"),
    ("bad format", {"format": "carrier-pigeon"}, "format"),
    ("duration not offered", {"duration_minutes": 90}, "duration_minutes"),
    ("duration as text", {"duration_minutes": "30"}, "duration_minutes"),
    ("language not ISO 639-1", {"languages": ["french"]}, "languages"),
    ("no language", {"languages": []}, "languages"),
    (
        "too many languages",
        {
            "languages": [
                "fr",
                "en",
                "de",
                "es",
                "it",
                "pt",
                "nl",
                "ar",
                "zh",
                "ja",
                "ko",
            ]
        },
        "languages",
    ),
    ("time zone not IANA", {"timezone": "Paris/France"}, "timezone"),
    ("in person without site", {"format": "in_person", "site": None}, "site"),
    ("no window", {"availability": []}, "availability"),
    (
        "window without offset",
        {
            "availability": [
                {"start": "2030-01-01T10:00:00", "end": "2030-01-01T12:00:00"}
            ]
        },
        "availability",
    ),
    (
        "window reversed",
        {
            "availability": [
                {
                    "start": (start + timedelta(hours=2)).isoformat(),
                    "end": start.isoformat(),
                }
            ]
        },
        "availability",
    ),
    (
        "window shorter than the meeting",
        {
            "availability": [
                {
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=20)).isoformat(),
                }
            ]
        },
        "availability",
    ),
    (
        "window beyond the horizon",
        {
            "availability": [
                {"start": future(90).isoformat(), "end": future(90, 2).isoformat()}
            ]
        },
        "availability",
    ),
    (
        "bad referrer email",
        {"referrer": {"name": "Jean", "email": "not-an-email"}},
        "referrer",
    ),
    (
        "window ending beyond the horizon",
        {
            "availability": [
                {"start": start.isoformat(), "end": "2099-12-31T12:00:00+00:00"}
            ]
        },
        "availability.0",
    ),
    *[
        row
        for label, sep in LINE_BREAKS
        for row in (
            (f"{label} in the name", {"name": f"Camille{sep}Durand"}, "name"),
            (
                f"{label} in the referrer's name",
                {"referrer": {"name": f"Jean{sep}Martin", "email": "jean@example.com"}},
                "referrer.name",
            ),
            (
                f"{label} in the site",
                {"format": "in_person", "site": f"Lyon{sep}Part-Dieu"},
                "site",
            ),
        )
    ],
    ("preferred host not a uuid", {"preferred_host": "nathalie"}, "preferred_host"),
    (
        "unknown preferred host",
        {"preferred_host": "00000000-0000-4000-8000-000000000000"},
        "preferred_host",
    ),
]


@pytest.mark.parametrize(
    "overrides,field", [b[1:] for b in BAD_REQUESTS], ids=[b[0] for b in BAD_REQUESTS]
)
def test_bad_request_body_is_422_naming_the_field_and_writes_nothing(
    client, database_url, overrides, field
):
    response = client.post(
        "/api/v1/requests", json=request_body(**overrides), headers=CAMILLE
    )
    assert response.status_code == 422, response.json
    assert_names(response.json["errors"], field)
    assert count(database_url, "SELECT count(*) FROM requests") == 0
    assert count(database_url, "SELECT count(*) FROM outbox") == 0


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"', b"null"])
def test_body_that_is_not_an_object_is_422(client, database_url, raw):
    response = client.post(
        "/api/v1/requests",
        data=raw,
        headers={**CAMILLE, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert count(database_url, "SELECT count(*) FROM requests") == 0


BAD_HOSTS = [
    ("unknown field", {"fields": ["astrology"]}, "fields"),
    ("duplicate fields", {"fields": ["management", "management"]}, "fields"),
    ("capacity negative", {"monthly_capacity": -1}, "monthly_capacity"),
    ("NUL in the site", {"site": "Paris\x00"}, "site"),
    ("capacity absurd", {"monthly_capacity": 500}, "monthly_capacity"),
    (
        "bad day",
        {"weekly_availability": [{"day": "someday", "start": "09:00", "end": "10:00"}]},
        "weekly_availability",
    ),
    (
        "bad time",
        {"weekly_availability": [{"day": "mon", "start": "25:00", "end": "10:00"}]},
        "weekly_availability",
    ),
    (
        "empty slot",
        {"weekly_availability": [{"day": "mon", "start": "10:00", "end": "10:00"}]},
        "weekly_availability",
    ),
    ("duration not offered", {"durations": [15]}, "durations"),
    ("in person without site", {"site": None}, "site"),
    *[
        row
        for label, sep in LINE_BREAKS
        for row in (
            (f"{label} in the name", {"name": f"Nathalie{sep}Renard"}, "name"),
            (f"{label} in the site", {"site": f"Paris{sep}La Défense"}, "site"),
        )
    ],
    (
        "time off ending more than two years ahead",
        {
            "unavailable": [
                {"start": future(5).isoformat(), "end": "2099-12-31T12:00:00+00:00"}
            ]
        },
        "unavailable.0",
    ),
    (
        "time off starting more than a year ago",
        {
            "unavailable": [
                {"start": future(-400).isoformat(), "end": future(5).isoformat()}
            ]
        },
        "unavailable.0",
    ),
    (
        "time off reversed",
        {
            "unavailable": [
                {"start": future(5).isoformat(), "end": future(4).isoformat()}
            ]
        },
        "unavailable",
    ),
]


@pytest.mark.parametrize(
    "overrides,field", [b[1:] for b in BAD_HOSTS], ids=[b[0] for b in BAD_HOSTS]
)
def test_bad_host_profile_is_422_and_writes_nothing(
    client, database_url, overrides, field
):
    response = client.put(
        "/api/v1/hosts/me", json=host_body(**overrides), headers=CAMILLE
    )
    assert response.status_code == 422, response.json
    assert_names(response.json["errors"], field)
    assert count(database_url, "SELECT count(*) FROM hosts") == 0
    assert count(database_url, "SELECT count(*) FROM outbox") == 0


def test_errors_speak_french_when_asked(client):
    response = client.post(
        "/api/v1/requests",
        json=request_body(timezone="Nowhere/Land", colour="x"),
        headers=user("camille.durand@example.com", lang="fr-FR,fr;q=0.9"),
    )
    assert response.status_code == 422
    assert response.json["errors"]["timezone"] == ["Fuseau horaire IANA inconnu."]
    assert response.json["errors"]["colour"] == ["Champ inconnu."]


def test_other_errors_speak_french_too(client):
    response = client.get("/api/v1/requests", headers={"Accept-Language": "fr"})
    assert response.status_code == 401
    assert response.json["error"]["message"].startswith("Connectez-vous")


@pytest.mark.parametrize(
    "identity", ["alice@corp", "ä@example.com", "a(b)@example.com", "not an email"]
)
def test_an_identity_that_is_not_a_plain_email_is_401(client, database_url, identity):
    assert (
        client.post(
            "/api/v1/requests", json=request_body(), headers={"X-Remote-User": identity}
        ).status_code
        == 401
    )
    assert count(database_url, "SELECT count(*) FROM requests") == 0


def test_a_cross_site_browser_post_is_refused(client, database_url, runtime):
    response = client.post(
        "/api/v1/requests",
        json=request_body(),
        headers={**CAMILLE, "Origin": "https://evil.example"},
    )
    assert (
        response.status_code == 403 and response.json["error"]["code"] == "cross_site"
    )
    same_site = client.post(
        "/api/v1/requests",
        json=request_body(),
        headers={**CAMILLE, "Origin": runtime.settings.public_base_url},
    )
    assert same_site.status_code == 202
    assert count(database_url, "SELECT count(*) FROM requests") == 1


@pytest.mark.parametrize("slot", [{"day": "mon", "start": "24:00", "end": "10:00"}])
def test_a_weekly_slot_cannot_start_at_midnight_of_the_next_day(client, slot):
    response = client.put(
        "/api/v1/hosts/me", json=host_body(weekly_availability=[slot]), headers=CAMILLE
    )
    assert (
        response.status_code == 422
        and "weekly_availability.0.start" in response.json["errors"]
    )


def test_time_off_far_in_the_future_is_refused(client):
    response = client.put(
        "/api/v1/hosts/me",
        headers=CAMILLE,
        json=host_body(
            unavailable=[
                {
                    "start": "9999-12-31T23:30:00-01:00",
                    "end": "9999-12-31T23:31:00-01:00",
                }
            ]
        ),
    )
    assert (
        response.status_code == 422 and "unavailable.0.start" in response.json["errors"]
    )


def test_half_a_utf16_pair_anywhere_in_a_json_body_is_refused_and_writes_nothing(
    client, database_url
):
    referrer = {"name": "Léa", "email": "ab@exa\ud800mple.com"}
    for path, body, headers in (
        ("/api/v1/requests", request_body(referrer=referrer), CAMILLE),
        ("/api/v1/requests", request_body(goal="about \udfff data"), CAMILLE),
        ("/api/v1/hosts/me", host_body(name="Ana\ud800"), CAMILLE),
        (
            "/ops/api/people/forget",
            {"emails": ["ab@exa\ud800mple.com"]},
            user("hr.person@example.com", "hr"),
        ),
    ):
        response = (
            client.post(path, json=body, headers=headers)
            if "hosts" not in path
            else client.put(path, json=body, headers=headers)
        )
        assert response.status_code == 422, (path, response.status_code)
    assert count(database_url, "SELECT count(*) FROM requests") == 0
    assert count(database_url, "SELECT count(*) FROM hosts") == 0
